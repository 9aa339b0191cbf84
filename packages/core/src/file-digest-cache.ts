import type { Stats } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { statStamp } from './file-stamp.js';
import { writeAtomically } from './write-atomically.js';

/** Files below this size are hashed again every time: cheap, and many. */
const MIN_SIZE = 1024 * 1024;
/** Entries kept; past this the file starts over (every build's new outputs add some). */
const MAX_ENTRIES = 256;
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

let file: string | undefined;
let entries: Promise<Map<string, Entry>> | undefined;

/**
 * Remembers sha256File results in `path` (JSON), so a later process skips hashing files it has
 * seen: a rebuild hashes the same unchanged stage outputs (a 170 MB root image for the ISO's
 * digest) every time. An entry is keyed on the file's fileStamp (path, device, inode, size, mtime,
 * ctime), which any write or replacement changes. `undefined` turns it off (the default).
 */
export function useFileDigestCache(path: string | undefined): void {
  file = path;
  entries = undefined;
}

/** The digest of the file `info` describes from the cache, or `hash()`'s (then remembered). */
export async function cachedFileDigest(path: string, info: Stats, hash: () => Promise<string>): Promise<string> {
  const target = file;
  if (target === undefined || info.size < MIN_SIZE) return hash();
  const key = statStamp(path, info);
  const known = await (entries ??= load(target));
  const hit = known.get(key);
  if (hit !== undefined && info.ctimeMs <= hit.hashedAt - SETTLED_MS) return hit.digest;
  const hashedAt = Date.now();
  const digest = await hash();
  if (known.size >= MAX_ENTRIES) known.clear();
  known.set(key, { digest, hashedAt });
  // A cache: if it cannot be written, the file is simply hashed again next time.
  await save(target, known).catch(() => undefined);
  return digest;
}

async function load(path: string): Promise<Map<string, Entry>> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { format?: number; entries?: Record<string, unknown> };
    if (parsed.format !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) return new Map();
    const valid = (e: [string, unknown]): e is [string, Entry] => {
      const v = e[1] as Partial<Entry> | null;
      return typeof v === 'object' && v !== null && typeof v.digest === 'string' && /^[0-9a-f]{64}$/.test(v.digest) && typeof v.hashedAt === 'number';
    };
    return new Map(Object.entries(parsed.entries).filter(valid));
  } catch {
    return new Map();
  }
}

async function save(path: string, known: Map<string, Entry>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeAtomically(path, (temp) => writeFile(temp, `${JSON.stringify({ format: 1, entries: Object.fromEntries(known) })}\n`));
}
