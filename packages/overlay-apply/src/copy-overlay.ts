import { readFile, readlink } from 'node:fs/promises';
import type { RootWriter } from './root-writer.js';
import type { OverlayEntry } from './scan-overlay.js';

/**
 * Copies a scanned `airootfs/`-style tree onto the root. Files and new directories keep the
 * overlay's own modes (archiso flattens them to 644/755), symlinks are copied as symlinks, hard
 * links inside the overlay stay hard links. Ownership goes to the manifest as root:root — use the
 * permissions map for anything else. Where the root already has a symlink, the writer decides:
 * an overlay directory follows it inside the root (`/lib` -> `/usr/lib` on merged-usr, absolute
 * targets re-rooted, a climb above the root refused), an overlay file or symlink replaces it.
 */
export async function copyOverlay(writer: RootWriter, entries: readonly OverlayEntry[]): Promise<void> {
  const linked = new Map<string, string>();
  for (const { path, source, stats } of entries) {
    const mode = stats.mode & 0o7777;
    if (stats.isDirectory()) {
      const existed = await writer.exists(path);
      const physical = await writer.mkdirp(path, { mode });
      if (!existed) writer.own(physical, { type: 'dir', uid: 0, gid: 0, mode });
    } else if (stats.isSymbolicLink()) {
      await writer.symlink(path, await readlink(source));
    } else {
      const inode = `${stats.dev}:${stats.ino}`;
      const first = stats.nlink > 1 ? linked.get(inode) : undefined;
      if (first !== undefined) {
        await writer.hardlink(first, path);
        continue;
      }
      const physical = await writer.writeFile(path, await readFile(source), { mode });
      if (stats.nlink > 1) linked.set(inode, physical);
    }
  }
}
