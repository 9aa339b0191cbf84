import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabasePackage } from './database-package.js';

/** pacman's local database inside a root. */
export const PACMAN_LOCAL_DIR = 'var/lib/pacman/local';

/**
 * The packages of an Arch root from pacman's local database: each NAME-VERSION/desc (%NAME%,
 * %VERSION%, %ARCH%, %LICENSE%, %BASE%, %PACKAGER%) and its files (%FILES%, relative paths,
 * folders ending in /). Several %LICENSE% lines are joined with " AND ".
 */
export async function readPacmanDatabase(root: string): Promise<DatabasePackage[]> {
  const local = join(root, PACMAN_LOCAL_DIR);
  const entries = (await readdir(local, { withFileTypes: true })).filter((e) => e.isDirectory());
  const packages: DatabasePackage[] = [];
  for (const entry of entries) {
    const desc = pacmanSections(await readFile(join(local, entry.name, 'desc'), 'utf8'));
    const files = pacmanSections(await readFile(join(local, entry.name, 'files'), 'utf8').catch(() => ''));
    const name = desc.get('NAME')?.[0];
    if (!name) continue;
    const licenses = desc.get('LICENSE') ?? [];
    const packager = desc.get('PACKAGER')?.[0];
    packages.push({
      name,
      version: desc.get('VERSION')?.[0] ?? '',
      architecture: desc.get('ARCH')?.[0] ?? 'any',
      sourcePackage: desc.get('BASE')?.[0] ?? name,
      ...(licenses.length > 0
        ? { license: licenses.map((l) => (licenses.length > 1 && /\s/.test(l) ? `(${l})` : l)).join(' AND ') }
        : {}),
      // makepkg's default packager: no one to name.
      ...(packager && packager !== 'Unknown Packager' ? { supplier: packager, supplierType: 'person' as const } : {}),
      paths: (files.get('FILES') ?? []).filter((p) => !p.endsWith('/')).map((p) => `/${p}`),
    });
  }
  return packages;
}

/** `%KEY%` sections of a pacman desc or files file: their lines up to the next empty line. */
export function pacmanSections(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const header = /^%([A-Z0-9]+)%$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1] as string, current);
    } else if (line === '') current = undefined;
    else current?.push(line);
  }
  return sections;
}
