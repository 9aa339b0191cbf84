import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { emptyManifest, mergeManifest, type Manifest, type ManifestEntry } from '@distroforge/core';
import { CpioUnsafePathError } from './errors.js';
import { readCpio, type CpioSource } from './read-cpio.js';

export interface ExtractResult {
  /** Members extracted (or recorded, for nodes that need root). */
  entries: number;
  /**
   * Owner, group, mode and type of every member, and the device/fifo/socket nodes that were not
   * created on disk: with the directory this is a lossless rootfs even without root.
   */
  manifest: Manifest;
}

/**
 * Extracts an archive (concatenated/compressed like the kernel accepts) into `dir`. Refuses absolute
 * names, `..` components and any member whose path would pass through a symlink. Device nodes,
 * fifos and sockets are recorded in the returned manifest, not created. Owners are applied only
 * when running as root; the manifest records them either way.
 */
export async function extractCpio(source: CpioSource, dir: string, options: { name?: string } = {}): Promise<ExtractResult> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const isRoot = process.getuid?.() === 0;
  const realDirs = new Set<string>(['']);
  const firstLink = new Map<string, string>();
  const dirTimes: Array<{ path: string; mode: number; mtime: number }> = [];
  const records: ManifestEntry[] = [];
  let count = 0;

  for await (const entry of readCpio(source, options)) {
    const name = safeName(entry.name);
    count++;
    records.push({
      path: name === '' ? '/' : `/${name}`,
      type: entry.type,
      uid: entry.uid,
      gid: entry.gid,
      mode: entry.mode,
      ...(entry.type === 'char' || entry.type === 'block' ? { major: entry.rdevMajor, minor: entry.rdevMinor } : {}),
    });
    if (name === '') {
      dirTimes.push({ path: root, mode: entry.mode, mtime: entry.mtime });
      continue;
    }
    await ensureParents(root, posix.dirname(name), realDirs, entry.name);
    const target = join(root, name);
    const existing = await lstat(target).catch(() => undefined);
    if (entry.type === 'dir') {
      if (existing && !existing.isDirectory()) await rm(target);
      if (!existing?.isDirectory()) await mkdir(target, { mode: 0o700 });
      realDirs.add(name);
      dirTimes.push({ path: target, mode: entry.mode, mtime: entry.mtime });
      continue;
    }
    if (existing?.isDirectory()) throw new CpioUnsafePathError(entry.name, 'it would replace a directory');
    const linkKey = entry.type === 'file' && entry.nlink > 1 ? `${entry.archive}:${entry.ino}:${entry.devMajor}:${entry.devMinor}` : undefined;
    const linkedTo = linkKey ? firstLink.get(linkKey) : undefined;
    if (existing) await rm(target);
    if (entry.type === 'symlink') {
      await symlink(entry.target ?? '', target);
      await lutimes(target, entry.mtime, entry.mtime);
      if (isRoot) await lchown(target, entry.uid, entry.gid);
      continue;
    }
    if (entry.type !== 'file') continue; // char, block, fifo, socket: recorded in the manifest only
    if (linkedTo) await link(linkedTo, target);
    else if (linkKey) firstLink.set(linkKey, target);
    // A new file ('wx' never follows a symlink) or, for a later hard link, the inode we created.
    const handle = await open(target, linkedTo ? 'r+' : 'wx', 0o600);
    try {
      let written = 0;
      for await (const chunk of entry.body()) {
        await handle.write(chunk, 0, chunk.length, written);
        written += chunk.length;
      }
      if (linkedTo && written > 0) await handle.truncate(written);
    } finally {
      await handle.close();
    }
    if (isRoot) await lchown(target, entry.uid, entry.gid);
    await chmod(target, entry.mode);
    await utimes(target, entry.mtime, entry.mtime);
  }
  // Directories last, deepest first, so read-only modes do not block their own contents.
  for (const { path, mode, mtime } of dirTimes.reverse()) {
    await chmod(path, mode);
    await utimes(path, mtime, mtime);
  }
  return { entries: count, manifest: mergeManifest(emptyManifest(), records) };
}

/** `./a/b` -> `a/b`, `.` -> ``; absolute names and `..` are refused. */
function safeName(name: string): string {
  if (name.startsWith('/')) throw new CpioUnsafePathError(name, 'absolute path');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new CpioUnsafePathError(name, 'contains ".."');
  return parts.join('/');
}

/** Creates missing parents and refuses to go through anything that is not a real directory. */
async function ensureParents(root: string, parent: string, realDirs: Set<string>, memberName: string): Promise<void> {
  if (parent === '.' || realDirs.has(parent)) return;
  await ensureParents(root, posix.dirname(parent), realDirs, memberName);
  const path = join(root, parent);
  const stats = await lstat(path).catch(() => undefined);
  if (stats?.isSymbolicLink()) throw new CpioUnsafePathError(memberName, `${parent} is a symlink`);
  if (stats && !stats.isDirectory()) throw new CpioUnsafePathError(memberName, `${parent} is not a directory`);
  if (!stats) await mkdir(path, { mode: 0o755 });
  realDirs.add(parent);
}
