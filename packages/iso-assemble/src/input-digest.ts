import { sha256File } from '@distroforge/core';
import { createHash } from 'node:crypto';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * SHA-256 over what goes into the ISO: each (ISO path, content) pair in sorted order, directories
 * walked in sorted order, plus the generated pieces. Independent of mtimes and source locations,
 * so equal inputs give equal digests and different inputs different GUIDs. Files enter by their
 * own SHA-256, hashed all at once (core's sha256File puts a large root image on a worker thread),
 * instead of streaming 200 MB of image through the event loop.
 */
export async function inputDigest(
  grafts: readonly { path: string; source: string }[],
  generated: readonly string[],
): Promise<Buffer> {
  const hash = createHash('sha256');
  for (const text of generated) hash.update(`gen\0${text}\0`);
  const sorted = [...grafts].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const records: Array<string | Promise<string>> = [];
  for (const graft of sorted) await listTree(records, graft.path, graft.source);
  for (const record of await Promise.all(records)) hash.update(record);
  return hash.digest();
}

/** Appends the records of one graft (directories in sorted order); a file's record waits for its digest. */
async function listTree(records: Array<string | Promise<string>>, isoPath: string, source: string): Promise<void> {
  const info = await lstat(source);
  if (info.isDirectory()) {
    records.push(`dir\0${isoPath}\0`);
    for (const name of (await readdir(source)).sort())
      await listTree(records, `${isoPath}/${name}`, join(source, name));
  } else if (info.isSymbolicLink()) {
    records.push(`link\0${isoPath}\0${await readlink(source)}\0`);
  } else {
    const record = sha256File(source).then((digest) => `file\0${isoPath}\0${info.size}\0${digest}\0`);
    record.catch(() => undefined); // awaited by inputDigest; a walk that fails first must not leave it unhandled
    records.push(record);
  }
}

/** A GPT GUID (xorriso's on-disk hex order) from a digest, with RFC 4122 version 4 and variant bits. */
export function guidFromDigest(digest: Buffer): string {
  const bytes = Buffer.from(digest.subarray(0, 16));
  bytes[7] = ((bytes[7] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return bytes.toString('hex');
}
