import { compareBytewise } from '@distroforge/core';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** SHA-256 of a file's contents, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A digest of a directory tree: names (byte-sorted), types, permission bits, symlink targets and
 * file contents. Owners and mtimes are left out on purpose: they do not reach the image (the
 * manifest and SOURCE_DATE_EPOCH decide those), so a `touch` or a fresh checkout does not
 * invalidate the cache.
 */
export async function hashTree(root: string): Promise<string> {
  const hash = createHash('sha256');
  await walk(root, '', hash);
  return hash.digest('hex');
}

async function walk(root: string, rel: string, hash: ReturnType<typeof createHash>): Promise<void> {
  const names = (await readdir(join(root, rel))).sort(compareBytewise);
  for (const name of names) {
    const path = join(rel, name);
    const full = join(root, path);
    const st = await lstat(full);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      hash.update(`d ${path} ${mode}\n`);
      await walk(root, path, hash);
    } else if (st.isSymbolicLink()) {
      hash.update(`l ${path} ${await readlink(full)}\n`);
    } else if (st.isFile()) {
      hash.update(`f ${path} ${mode} ${await hashFile(full)}\n`);
    } else {
      hash.update(`o ${path} ${mode} ${st.rdev}\n`);
    }
  }
}
