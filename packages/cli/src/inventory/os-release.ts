import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The fields of a root's os-release that name its distribution (for PURL namespaces and `distro=`). */
export interface OsRelease {
  id?: string;
  versionId?: string;
  versionCodename?: string;
}

/** Reads etc/os-release, else usr/lib/os-release, of a root; empty when neither exists. */
export async function readOsRelease(root: string): Promise<OsRelease> {
  for (const file of ['etc/os-release', 'usr/lib/os-release']) {
    // etc/os-release is usually a relative link to ../usr/lib/os-release, which resolves inside
    // the root; an absolute link would not, and the second name covers that case.
    const text = await readFile(join(root, file), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const fields = new Map<string, string>();
    for (const line of text.split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m?.[2]) fields.set(m[1] as string, m[2].replace(/^(["'])(.*)\1$/, '$2'));
    }
    const id = fields.get('ID');
    const versionId = fields.get('VERSION_ID');
    const versionCodename = fields.get('VERSION_CODENAME');
    return {
      ...(id ? { id } : {}),
      ...(versionId ? { versionId } : {}),
      ...(versionCodename ? { versionCodename } : {}),
    };
  }
  return {};
}
