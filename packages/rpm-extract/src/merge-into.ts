import { chmod, lstat, mkdir, readdir, rename, stat, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { resolveInRoot, RootPathError } from '@distroforge/core';
import { rpmError } from './errors.js';

/**
 * The host path of `relative` inside `root`, with core's chroot rule (`resolveInRoot`): symlinks
 * on the way followed, absolute targets restarting at `root`, `..` clamped at it as the kernel does
 * for a package's links. The last component is followed only with `followLast`.
 */
async function hostPathInRoot(root: string, relative: string, followLast = false): Promise<string> {
  try {
    return join(root, (await resolveInRoot(root, relative, { followFinal: followLast, aboveRoot: 'clamp' })).slice(1));
  } catch (error) {
    if (error instanceof RootPathError && error.code === 'ERR_PATH_LOOP') {
      throw rpmError('ERR_RPM_UNSAFE_PATH', `too many symlinks resolving /${relative} in ${root}`, {
        value: relative,
        path: root,
        cause: error,
      });
    }
    // A name too long for the root, an unreadable directory of it: the move cannot happen.
    throw rpmError('ERR_RPM_WRITE', `cannot move /${relative} into ${root}: ${(error as Error).message}`, {
      path: root,
      cause: error,
    });
  }
}

// Without root a directory without its owner's write bit can neither be moved to another parent
// (its `..` changes) nor receive a later package's files: such directories keep u+w on disk, and
// the manifest (one entry per path, with its mode) carries the package's mode to the image.
const keepOwnerWrite = process.getuid?.() !== 0;

async function makeOwnerWritable(dir: string): Promise<void> {
  const info = await lstat(dir);
  if (!info.isDirectory()) return;
  if ((info.mode & 0o200) === 0) await chmod(dir, (info.mode & 0o7777) | 0o200);
  for (const name of await readdir(dir)) await makeOwnerWritable(join(dir, name));
}

/**
 * Moves a staged tree into an existing one. Directories that exist (directly or through a symlink
 * inside the root) are merged into; anything else replaces what is there.
 */
export async function mergeInto(staging: string, root: string, relative = ''): Promise<void> {
  const names = (await readdir(join(staging, relative))).sort();
  for (const name of names) {
    const rel = relative ? posix.join(relative, name) : name;
    const staged = join(staging, rel);
    const info = await lstat(staged);
    const dest = await hostPathInRoot(root, rel);
    if (info.isDirectory()) {
      // An existing directory, or a symlink to one inside the root, is merged into.
      const resolved = await hostPathInRoot(root, rel, true);
      const existing = await stat(resolved).catch(() => undefined);
      if (existing?.isDirectory()) {
        await mergeInto(staging, root, rel);
        await chmod(resolved, (info.mode & 0o7777) | (keepOwnerWrite ? 0o200 : 0));
        await utimes(resolved, info.atime, info.mtime);
        continue;
      }
      await mkdir(posix.dirname(dest), { recursive: true });
      if (keepOwnerWrite) await makeOwnerWritable(staged);
    }
    await rename(staged, dest).catch((cause: unknown) => {
      throw rpmError('ERR_RPM_WRITE', `cannot move /${rel} into ${root}: ${(cause as Error).message}`, {
        path: dest,
        cause,
      });
    });
  }
}
