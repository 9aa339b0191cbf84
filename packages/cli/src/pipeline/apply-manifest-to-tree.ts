import { chmod, lchown, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assignOwners,
  ownerAsSeenInside,
  type Manifest,
  type RunLoggedOptions,
  type UserNamespace,
} from '@distroforge/core';
import { unshareInodes } from './unshare-inodes.js';

/**
 * Makes a tree carry the manifest's owners and modes, so a tree shared over 9p (the dev loop) looks
 * like the image: as root, the staging tree itself (chown on the host); for an ordinary user, a
 * share tree, with owners given inside `namespace` (on disk they become ids of the user's
 * subordinate range, and the tree must be reclaimed before it is removed). Entries for nodes that
 * are not on disk (devices) are left to the archive writers. Only nodes whose owner or mode differ
 * are touched, each after it got an inode of its own (the tree is a hard-link farm of an upstream
 * stage's). Returns how many nodes changed.
 */
export async function applyManifestToTree(
  root: string,
  manifest: Manifest,
  run: Pick<RunLoggedOptions, 'logFile' | 'signal'>,
  namespace?: UserNamespace,
): Promise<number> {
  const changes: Array<{
    path: string;
    uid: number;
    gid: number;
    ownerDiffers: boolean;
    mode: number;
    symlink: boolean;
  }> = [];
  for (const entry of manifest.entries) {
    const path = join(root, entry.path);
    const st = await lstat(path).catch(() => undefined);
    if (!st) continue;
    // The owner programs see: the host's, or the namespace's view of it (the builder is 0 there).
    const seen = namespace ? ownerAsSeenInside(namespace, st.uid, st.gid) : { uid: st.uid, gid: st.gid };
    const uid = entry.uid ?? seen?.uid ?? 0;
    const gid = entry.gid ?? seen?.gid ?? 0;
    const mode = entry.mode ?? st.mode & 0o7777;
    const ownerDiffers = seen === undefined || uid !== seen.uid || gid !== seen.gid;
    const modeDiffers = !st.isSymbolicLink() && mode !== (st.mode & 0o7777);
    if (ownerDiffers || modeDiffers) changes.push({ path, uid, gid, ownerDiffers, mode, symlink: st.isSymbolicLink() });
  }
  await unshareInodes(
    root,
    changes.map((c) => c.path),
    run,
  );
  if (namespace) {
    // One process inside the namespace sets them all (chown, then the mode chown cleared).
    await assignOwners(
      namespace,
      root,
      changes.map((c) => ({
        path: entryPath(c.path, root),
        uid: c.uid,
        gid: c.gid,
        ...(c.symlink ? {} : { mode: c.mode }),
      })),
    );
    return changes.length;
  }
  for (const change of changes) {
    if (change.ownerDiffers) await lchown(change.path, change.uid, change.gid);
    // chown clears setuid/setgid, so modes come after owners; symlinks have no mode of their own.
    if (!change.symlink) await chmod(change.path, change.mode);
  }
  return changes.length;
}

function entryPath(path: string, root: string): string {
  return path.slice(join(root, '/').length);
}
