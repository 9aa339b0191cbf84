import {
  canonicalManifestPath,
  mergeManifest,
  emptyManifest,
  type Manifest,
  type ManifestEntry,
} from '@distroforge/core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rpmError } from './errors.js';
import type { RpmFileType } from './types.js';

/**
 * What extraction could not put on disk without root: owners and groups by NAME (the ids depend on
 * the target's /etc/passwd and /etc/group), permission bits, device nodes, fifos and capabilities.
 * One entry per extracted path, sorted by path.
 */
export interface RpmManifestEntry {
  /** Absolute path inside the root. */
  path: string;
  type: RpmFileType;
  user: string;
  group: string;
  /** Permission bits including setuid/setgid/sticky. */
  mode: number;
  major?: number;
  minor?: number;
  /** File capabilities in setcap text form. */
  caps?: string;
}

export interface RpmManifest {
  format: 'distroforge-rpm-manifest';
  version: 1;
  entries: RpmManifestEntry[];
}

/** Maps user and group names to ids (undefined when unknown). */
export interface IdResolver {
  uid(user: string): number | undefined;
  gid(group: string): number | undefined;
}

/**
 * Converts to `@distroforge/core`'s Manifest with numeric ids. A name the resolver does not know is
 * an ERR_RPM_UNKNOWN_OWNER error (installing a package whose user does not exist yet is a bug in
 * the install order, not something to paper over with root).
 */
export function toCoreManifest(manifest: RpmManifest, resolver: IdResolver): Manifest {
  const entries: ManifestEntry[] = manifest.entries.map((entry) => {
    const uid = resolver.uid(entry.user);
    const gid = resolver.gid(entry.group);
    if (uid === undefined)
      throw rpmError('ERR_RPM_UNKNOWN_OWNER', `user ${entry.user} of ${entry.path} is not in the target's passwd`, {
        value: entry.user,
        path: entry.path,
      });
    if (gid === undefined)
      throw rpmError(
        'ERR_RPM_UNKNOWN_OWNER',
        `group ${entry.group} of ${entry.path} is not in the target's group file`,
        { value: entry.group, path: entry.path },
      );
    const out: ManifestEntry = {
      path: canonicalManifestPath(entry.path),
      type: entry.type,
      uid,
      gid,
      mode: entry.mode,
    };
    if (entry.major !== undefined) out.major = entry.major;
    if (entry.minor !== undefined) out.minor = entry.minor;
    if (entry.caps) out.caps = entry.caps;
    return out;
  });
  return mergeManifest(emptyManifest(), entries);
}

/** Parses passwd/group text (`name:x:id:...`) into a name -> id map. */
export function parseIdFile(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (!name || id === undefined || !/^\d+$/.test(id)) continue;
    if (!ids.has(name)) ids.set(name, Number(id));
  }
  return ids;
}

/** A resolver over maps, with `root` = 0 unless the maps say otherwise. */
export function idResolver(users: ReadonlyMap<string, number>, groups: ReadonlyMap<string, number>): IdResolver {
  return {
    uid: (name) => users.get(name) ?? (name === 'root' ? 0 : undefined),
    gid: (name) => groups.get(name) ?? (name === 'root' ? 0 : undefined),
  };
}

/** Reads `<root>/etc/passwd` and `<root>/etc/group` (missing files count as empty). */
export async function idResolverFromRoot(root: string): Promise<IdResolver> {
  const read = (file: string) => readFile(join(root, file), 'utf8').catch(() => '');
  const [passwd, group] = await Promise.all([read('etc/passwd'), read('etc/group')]);
  return idResolver(parseIdFile(passwd), parseIdFile(group));
}
