import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { canonicalManifestPath } from '@distroforge/core';
import { OverlayApplyError, PathEscapeError } from './errors.js';
import { assertHostPathFits, assertNameFits } from './path-limits.js';

const maxSymlinkHops = 40;

/**
 * Resolves `path` inside `root` the way the kernel would inside a chroot of it: symlinks are
 * followed, absolute targets restart at the root, and the result is the physical path inside the
 * root (`/lib/systemd` -> `/usr/lib/systemd` on merged-usr). A `..` that would climb above the root
 * is refused instead of clamped, so a hostile tree cannot redirect our writes. With
 * `followFinal: false` a symlink in the last component is returned as is (it will be replaced).
 * Names over 255 bytes and host paths over 4095 (the root's own path included) are typed errors,
 * whether they come from `path` or from a symlink's target, instead of a raw ENAMETOOLONG.
 */
export async function resolveInRoot(root: string, path: string, followFinal: boolean): Promise<string> {
  const pending = canonicalManifestPath(path).split('/').filter(Boolean);
  const resolved: string[] = [];
  let hops = 0;
  let via = path;
  let missing = false;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '.' || name === '') continue;
    if (name === '..') {
      if (resolved.length === 0) throw new PathEscapeError(path, via);
      resolved.pop();
      continue;
    }
    assertNameFits(name, path);
    resolved.push(name);
    if (missing) continue;
    const isLast = pending.length === 0;
    const host = join(root, ...resolved);
    assertHostPathFits(host, path);
    const stats = await lstat(host).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (stats === undefined) {
      missing = true;
      continue;
    }
    if (!stats.isSymbolicLink() || (isLast && !followFinal)) continue;
    if (++hops > maxSymlinkHops) {
      throw new OverlayApplyError('ERR_OVERLAY_PATH_ESCAPE', `too many symlinks resolving ${path}`, { path, hint: 'the root has a symlink loop' });
    }
    const target = await readlink(host);
    via = `/${resolved.join('/')} -> ${target}`;
    resolved.pop();
    if (posix.isAbsolute(target)) resolved.length = 0;
    pending.unshift(...target.split('/'));
  }
  assertHostPathFits(join(root, ...resolved), path);
  return `/${resolved.join('/')}`;
}
