import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * SHA-256 over what goes into the ISO: each (ISO path, content) pair in sorted order, directories
 * walked in sorted order, plus the generated pieces. Independent of mtimes and source locations,
 * so equal inputs give equal digests and different inputs different GUIDs.
 */
export async function inputDigest(grafts: readonly { path: string; source: string }[], generated: readonly string[]): Promise<Buffer> {
  const hash = createHash('sha256');
  for (const text of generated) hash.update(`gen\0${text}\0`);
  const sorted = [...grafts].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const graft of sorted) await hashTree(hash, graft.path, graft.source);
  return hash.digest();
}

async function hashTree(hash: Hash, isoPath: string, source: string): Promise<void> {
  const info = await lstat(source);
  if (info.isDirectory()) {
    hash.update(`dir\0${isoPath}\0`);
    for (const name of (await readdir(source)).sort()) await hashTree(hash, `${isoPath}/${name}`, join(source, name));
  } else if (info.isSymbolicLink()) {
    hash.update(`link\0${isoPath}\0${await readlink(source)}\0`);
  } else {
    hash.update(`file\0${isoPath}\0${info.size}\0`);
    for await (const chunk of createReadStream(source)) hash.update(chunk as Buffer);
  }
}

/** A GPT GUID (xorriso's on-disk hex order) from a digest, with RFC 4122 version 4 and variant bits. */
export function guidFromDigest(digest: Buffer): string {
  const bytes = Buffer.from(digest.subarray(0, 16));
  bytes[7] = ((bytes[7] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return bytes.toString('hex');
}
