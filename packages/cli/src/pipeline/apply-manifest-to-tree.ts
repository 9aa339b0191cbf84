import { chmod, lchown, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '@distroforge/core';

/**
 * When the build runs as root, makes the staging tree itself carry the manifest's owners and modes,
 * so a tree shared over 9p (the dev loop) looks like the image. Entries for nodes that are not on
 * disk (devices) are left to the archive writers. Never used without root: then the manifest alone
 * is the truth.
 */
export async function applyManifestToTree(root: string, manifest: Manifest): Promise<number> {
  let applied = 0;
  for (const entry of manifest.entries) {
    const path = join(root, entry.path);
    const st = await lstat(path).catch(() => undefined);
    if (!st) continue;
    if (entry.uid !== undefined || entry.gid !== undefined) {
      await lchown(path, entry.uid ?? st.uid, entry.gid ?? st.gid);
      applied++;
    }
    // chown clears setuid/setgid, so modes come after owners; symlinks have no mode of their own.
    const mode = entry.mode ?? (entry.uid !== undefined || entry.gid !== undefined ? st.mode & 0o7777 : undefined);
    if (mode !== undefined && !st.isSymbolicLink()) await chmod(path, mode);
  }
  return applied;
}
