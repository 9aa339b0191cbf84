import type { Stats } from 'node:fs';
import { statStamp } from './file-stamp.js';
import { PersistedMap } from './persisted-map.js';

/** Files below this size are hashed again every time: cheap, and many. */
const MIN_SIZE = 1024 * 1024;
/**
 * A digest is trusted only if the file's last change (ctime) came this long before the hash began:
 * a write in the same clock tick as the stat could otherwise leave the stamp unchanged (racy git).
 */
const SETTLED_MS = 1000;

interface Entry {
  digest: string;
  /** When the hash began (ms since the epoch). */
  hashedAt: number;
}

const isEntry = (value: unknown): value is Entry => {
  const v = value as Partial<Entry> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.digest === 'string' &&
    /^[0-9a-f]{64}$/.test(v.digest) &&
    typeof v.hashedAt === 'number'
  );
};
const digests = new PersistedMap(isEntry);

/**
 * Remembers sha256File results in `path` (JSON), so a later process skips hashing files it has
 * seen: a rebuild hashes the same unchanged stage outputs (a 170 MB root image for the ISO's
 * digest) every time. An entry is keyed on the file's fileStamp (path, device, inode, size, mtime,
 * ctime), which any write or replacement changes. `undefined` turns it off (the default).
 */
export function useFileDigestCache(path: string | undefined): void {
  digests.use(path);
}

/** The digest of the file `info` describes from the cache, or `hash()`'s (then remembered). */
export async function cachedFileDigest(path: string, info: Stats, hash: () => Promise<string>): Promise<string> {
  if (!digests.enabled || info.size < MIN_SIZE) return hash();
  const key = statStamp(path, info);
  const hit = await digests.get(key);
  if (hit !== undefined && info.ctimeMs <= hit.hashedAt - SETTLED_MS) return hit.digest;
  const hashedAt = Date.now();
  const digest = await hash();
  await digests.set(key, { digest, hashedAt });
  return digest;
}
