import { chmod, lchown, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest, RunLoggedOptions } from '@distroforge/core';
import { unshareInodes } from './unshare-inodes.js';

/**
 * When the build runs as root, makes the staging tree itself carry the manifest's owners and modes,
 * so a tree shared over 9p (the dev loop) looks like the image. Entries for nodes that are not on
 * disk (devices) are left to the archive writers. Never used without root: then the manifest alone
 * is the truth. Only nodes whose owner or mode differ are touched, each after it got an inode of
 * its own (the tree is a hard-link farm of the rootfs stage's). Returns how many nodes changed.
 */
export async function applyManifestToTree(root: string, manifest: Manifest, run: Pick<RunLoggedOptions, 'logFile' | 'signal'>): Promise<number> {
  const changes: Array<{ path: string; owner?: { uid: number; gid: number }; mode: number; symlink: boolean }> = [];
  for (const entry of manifest.entries) {
    const path = join(root, entry.path);
    const st = await lstat(path).catch(() => undefined);
    if (!st) continue;
    const uid = entry.uid ?? st.uid;
    const gid = entry.gid ?? st.gid;
    const mode = entry.mode ?? st.mode & 0o7777;
    const ownerDiffers = uid !== st.uid || gid !== st.gid;
    const modeDiffers = !st.isSymbolicLink() && mode !== (st.mode & 0o7777);
    if (ownerDiffers || modeDiffers) changes.push({ path, ...(ownerDiffers ? { owner: { uid, gid } } : {}), mode, symlink: st.isSymbolicLink() });
  }
  await unshareInodes(root, changes.map((c) => c.path), run);
  for (const change of changes) {
    if (change.owner) await lchown(change.path, change.owner.uid, change.owner.gid);
    // chown clears setuid/setgid, so modes come after owners; symlinks have no mode of their own.
    if (!change.symlink) await chmod(change.path, change.mode);
  }
  return changes.length;
}
