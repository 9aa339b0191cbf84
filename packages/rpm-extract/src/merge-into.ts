import { chmod, lstat, mkdir, readdir, readlink, rename, stat, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { rpmError } from './errors.js';

const maxSymlinkHops = 40;

/**
 * Resolves a relative path inside `root` as a chroot would: symlinks met on the way are followed,
 * absolute targets restart at `root`, and `..` never climbs above it. The last component is not
 * followed unless `followLast`. Returns an absolute host path inside `root`.
 */
export async function resolveInRoot(root: string, relative: string, followLast = false): Promise<string> {
  const pending = relative.split('/').filter((p) => p && p !== '.');
  const last = followLast ? undefined : pending.pop();
  const stack: string[] = [];
  let hops = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '..') {
      stack.pop();
      continue;
    }
    const host = join(root, ...stack, part);
    const info = await lstat(host).catch(() => undefined);
    if (info?.isSymbolicLink()) {
      if (++hops > maxSymlinkHops) throw rpmError('ERR_RPM_UNSAFE_PATH', `too many symlinks resolving /${relative} in ${root}`, { value: relative, path: root });
      const target = await readlink(host);
      if (target.startsWith('/')) stack.length = 0;
      pending.unshift(...target.split('/').filter((p) => p && p !== '.'));
      continue;
    }
    stack.push(part);
  }
  return last === undefined ? join(root, ...stack) : join(root, ...stack, last);
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
    const dest = await resolveInRoot(root, rel);
    if (info.isDirectory()) {
      // An existing directory, or a symlink to one inside the root, is merged into.
      const resolved = await resolveInRoot(root, rel, true);
      const existing = await stat(resolved).catch(() => undefined);
      if (existing?.isDirectory()) {
        await mergeInto(staging, root, rel);
        await chmod(resolved, info.mode & 0o7777);
        await utimes(resolved, info.atime, info.mtime);
        continue;
      }
      await mkdir(posix.dirname(dest), { recursive: true });
    }
    await rename(staged, dest).catch((cause: unknown) => {
      throw rpmError('ERR_RPM_WRITE', `cannot move /${rel} into ${root}: ${(cause as Error).message}`, { path: dest, cause });
    });
  }
}
