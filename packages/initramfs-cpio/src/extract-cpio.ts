import { constants } from 'node:fs';
import { lchown, link, lutimes, mkdir, open, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { emptyManifest, isDistroforgeError, mergeManifest, type Manifest, type ManifestEntry } from '@distroforge/core';
import { ExtractedTree } from './_extracted-tree.js';
import { memberPath } from './_member-path.js';
import { commitStaging, createStaging, discardStaging } from './_staging-directory.js';
import { CpioCorruptError, CpioExtractError, CpioNameTooLongError, CpioUnsafePathError } from './errors.js';
import { PATH_MAX, readCpio, type CpioReadEntry, type CpioSource } from './read-cpio.js';

export interface ExtractResult {
  /** Members extracted (or recorded, for nodes that need root). */
  entries: number;
  /**
   * Owner, group, mode and type of every member, and the device/fifo/socket nodes that were not
   * created on disk: with the directory this is a lossless rootfs even without root.
   */
  manifest: Manifest;
}

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;

/**
 * Extracts an archive (concatenated/compressed like the kernel accepts) into `dir`, which must not
 * exist or be an empty directory. The tree is built in a private staging directory beside `dir`
 * and renamed into place only when the whole archive was extracted: a failure leaves nothing.
 * Safety rules (README, "Extraction safety"): no absolute names or `..`; no member under a symlink
 * or a non-directory; no member replacing a directory; hard links only to regular files this run
 * created and no later member replaced; nothing is ever opened, chmod-ed, chown-ed or timed
 * through a symlink. Device nodes, fifos and sockets are recorded in the returned manifest, not
 * created. Owners are applied only when running as root; the manifest records them either way.
 */
export async function extractCpio(
  source: CpioSource,
  dir: string,
  options: { name?: string } = {},
): Promise<ExtractResult> {
  const target = resolve(dir);
  const staging = await createStaging(target);
  const dirModes = new Map<string, { mode: number; mtime: number; uid: number; gid: number }>();
  try {
    const result = await extractInto(source, staging, dirModes, options);
    await commitStaging(staging, target);
    return result;
  } catch (error) {
    await discardStaging(
      staging,
      [...dirModes.keys()].map((path) => join(staging, path)),
    );
    throw error;
  }
}

async function extractInto(
  source: CpioSource,
  staging: string,
  dirModes: Map<string, { mode: number; mtime: number; uid: number; gid: number }>,
  options: { name?: string },
): Promise<ExtractResult> {
  const isRoot = process.getuid?.() === 0;
  const tree = new ExtractedTree();
  const records: ManifestEntry[] = [];
  let count = 0;
  for await (const entry of readCpio(source, options)) {
    const path = memberPath(entry.name, staging);
    count++;
    records.push({
      path: path === '' ? '/' : `/${path}`,
      type: entry.type,
      uid: entry.uid,
      gid: entry.gid,
      mode: entry.mode,
      ...(entry.type === 'char' || entry.type === 'block' ? { major: entry.rdevMajor, minor: entry.rdevMinor } : {}),
    });
    try {
      await extractMember(entry, path, staging, tree, dirModes, isRoot);
    } catch (error) {
      throw typed(error, entry.name);
    }
  }
  // Directories last, deepest first, so read-only modes do not block their own contents.
  const dirs = [...dirModes].sort(([a], [b]) => depth(b) - depth(a));
  for (const [path, { mode, mtime, uid, gid }] of dirs) {
    try {
      await withHandle(join(staging, path), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, async (handle) => {
        if (isRoot) await handle.chown(uid, gid);
        await handle.chmod(mode);
        await handle.utimes(mtime, mtime);
      });
    } catch (error) {
      throw typed(error, path === '' ? '.' : path);
    }
  }
  if (!dirModes.has(''))
    await withHandle(staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, (handle) => handle.chmod(0o755));
  return { entries: count, manifest: mergeManifest(emptyManifest(), records) };
}

async function extractMember(
  entry: CpioReadEntry,
  path: string,
  staging: string,
  tree: ExtractedTree,
  dirModes: Map<string, { mode: number; mtime: number; uid: number; gid: number }>,
  isRoot: boolean,
): Promise<void> {
  const meta = { mode: entry.mode, mtime: entry.mtime, uid: entry.uid, gid: entry.gid };
  if (path === '') {
    if (entry.type !== 'dir')
      throw new CpioUnsafePathError(entry.name, `a ${entry.type} cannot replace the target directory`);
    dirModes.set('', meta);
    return;
  }
  for (const parent of tree.missingParents(path, entry.name)) {
    await mkdir(join(staging, parent), { mode: 0o755 });
    tree.set(parent, { kind: 'dir' });
  }
  const abs = join(staging, path);
  const existing = tree.kind(path);
  if (existing === 'dir') {
    if (entry.type !== 'dir') throw new CpioUnsafePathError(entry.name, `a ${entry.type} would replace a directory`);
    dirModes.set(path, meta);
    return;
  }
  // A later member replaces an earlier one of the same name (unlink never follows a symlink).
  if (existing !== undefined) {
    await unlink(abs);
    tree.set(path, undefined);
  }
  if (entry.type === 'dir') {
    // Made private; its mode is applied at the end, once its contents are written.
    await mkdir(abs, { mode: 0o700 });
    tree.set(path, { kind: 'dir' });
    dirModes.set(path, meta);
    return;
  }
  if (entry.type === 'symlink') {
    const linkTarget = entry.target ?? '';
    if (linkTarget === '')
      throw new CpioCorruptError(`${entry.name}: a symlink with an empty target cannot be created`, {
        value: entry.name,
      });
    if (Buffer.byteLength(linkTarget) >= PATH_MAX)
      throw new CpioNameTooLongError(
        entry.name,
        `a symlink target of ${Buffer.byteLength(linkTarget)} bytes (the limit is ${PATH_MAX - 1})`,
      );
    await symlink(linkTarget, abs);
    tree.set(path, { kind: 'symlink' });
    if (isRoot) await lchown(abs, entry.uid, entry.gid);
    await lutimes(abs, entry.mtime, entry.mtime);
    return;
  }
  if (entry.type !== 'file') return; // char, block, fifo, socket: recorded in the manifest only
  const inode = entry.nlink > 1 ? `${entry.archive}:${entry.ino}:${entry.devMajor}:${entry.devMinor}` : undefined;
  const linkSource = inode === undefined ? undefined : tree.linkSource(inode, entry.name);
  if (linkSource !== undefined) {
    // linkat without AT_SYMLINK_FOLLOW: even a symlink would be linked as itself, and then refused by O_NOFOLLOW below.
    await link(join(staging, linkSource), abs);
  }
  tree.set(path, { kind: 'file', inode });
  // A new name is created exclusively; a hard link's is opened without following a symlink. The
  // metadata is then set through that descriptor, so it can only ever reach this regular file.
  const flags =
    linkSource === undefined
      ? O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
      : (entry.size > 0 ? O_WRONLY : O_RDONLY) | O_NOFOLLOW;
  await withHandle(abs, flags, async (handle) => {
    if (!(await handle.stat()).isFile())
      throw new CpioUnsafePathError(entry.name, 'it is not a regular file once opened');
    let written = 0;
    for await (const chunk of entry.body()) {
      await handle.write(chunk, 0, chunk.length, written);
      written += chunk.length;
    }
    if (linkSource !== undefined && written > 0) await handle.truncate(written);
    if (isRoot) await handle.chown(entry.uid, entry.gid); // before chmod: chown clears setuid bits
    await handle.chmod(entry.mode);
    await handle.utimes(entry.mtime, entry.mtime);
  });
}

async function withHandle<T>(path: string, flags: number, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  const handle = await open(path, flags, 0o600);
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

/** Our own errors pass through; a filesystem error becomes a typed one naming the member. */
function typed(error: unknown, name: string): unknown {
  if (isDistroforgeError(error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENAMETOOLONG') return new CpioNameTooLongError(name, 'the filesystem refused it as too long');
  if (code === 'ELOOP') return new CpioUnsafePathError(name, 'a symlink was found where a regular file was expected');
  return new CpioExtractError(name, error);
}

function depth(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}
