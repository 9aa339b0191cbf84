import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInRootSync } from '@distroforge/core';
import type { DatabasePackage } from './database-package.js';
import { dep5Licenses } from './debian-copyright.js';

/** dpkg's database folder inside a root. */
export const DPKG_ADMIN_DIR = 'var/lib/dpkg';

/**
 * The packages of a Debian root from dpkg's own database: var/lib/dpkg/status (every package whose
 * files are on disk: installed, unpacked or half-configured) and each package's info/NAME[:ARCH].list.
 * The licence is read from usr/share/doc/NAME/copyright when it is machine-readable (DEP-5).
 */
export async function readDpkgDatabase(root: string): Promise<DatabasePackage[]> {
  const admin = join(root, DPKG_ADMIN_DIR);
  const status = await readFile(join(admin, 'status'), 'utf8');
  const packages: DatabasePackage[] = [];
  for (const paragraph of status.split(/\n\s*\n/)) {
    const fields = controlFields(paragraph);
    const name = fields.get('package');
    const state = fields.get('status')?.split(/\s+/)[2];
    // not-installed and config-files packages have no files in the tree.
    if (!name || state === undefined || state === 'not-installed' || state === 'config-files') continue;
    const architecture = fields.get('architecture') ?? 'all';
    const version = fields.get('version') ?? '';
    // Multi-Arch: same packages keep NAME:ARCH.list; the others NAME.list.
    const list =
      (await readFile(join(admin, 'info', `${name}:${architecture}.list`), 'utf8').catch(() => undefined)) ??
      (await readFile(join(admin, 'info', `${name}.list`), 'utf8').catch(() => ''));
    const source = fields.get('source')?.split(/\s+/)[0];
    const maintainer = fields.get('maintainer');
    const license = await packageLicense(root, name);
    packages.push({
      name,
      version,
      architecture,
      sourcePackage: source || name,
      ...(maintainer ? { supplier: maintainer, supplierType: 'person' as const } : {}),
      ...(license ? { license } : {}),
      paths: list.split('\n').filter((p) => p.startsWith('/') && p !== '/.'),
    });
  }
  return packages;
}

/** The DEP-5 licences of a package's copyright file (followed through /usr/share/doc links inside the root). */
async function packageLicense(root: string, name: string): Promise<string | undefined> {
  let file: string;
  try {
    file = resolveInRootSync(root, `/usr/share/doc/${name}/copyright`, { followFinal: true, aboveRoot: 'clamp' });
  } catch {
    return undefined;
  }
  const text = await readFile(join(root, file), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : dep5Licenses(text);
}

/** A control paragraph's fields by lower-case name; continuation lines are kept with their newline. */
export function controlFields(paragraph: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  for (const line of paragraph.split('\n')) {
    if (/^[ \t]/.test(line) && current !== undefined) {
      fields.set(current, `${fields.get(current)}\n${line.trim()}`);
      continue;
    }
    const m = /^([^:\s]+):[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    current = (m[1] as string).toLowerCase();
    fields.set(current, (m[2] as string).trim());
  }
  return fields;
}
