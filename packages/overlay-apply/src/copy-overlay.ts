import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { OverlayApplyError } from './errors.js';
import type { RootWriter } from './root-writer.js';

/**
 * Copies an archiso `airootfs/`-style tree onto the root. Files and new directories keep the
 * overlay's own modes (archiso flattens them to 644/755), symlinks are copied as symlinks, hard
 * links inside the overlay stay hard links. Ownership goes to the manifest as root:root — use the
 * permissions map for anything else. Directories that already exist in the root keep their mode,
 * and are followed when they are in-root symlinks (`/lib` -> `/usr/lib` on merged-usr).
 */
export async function copyOverlay(writer: RootWriter, overlay: string): Promise<void> {
  const top = await lstat(overlay).catch(() => undefined);
  if (!top?.isDirectory()) {
    throw new OverlayApplyError('ERR_OVERLAY_SOURCE_MISSING', `overlay directory ${overlay} does not exist`, {
      path: overlay,
      hint: 'pass the airootfs/ directory of the profile',
    });
  }
  const linked = new Map<string, string>();
  await copyDirectory(writer, overlay, '/', linked);
}

async function copyDirectory(writer: RootWriter, overlay: string, dir: string, linked: Map<string, string>): Promise<void> {
  const names = (await readdir(join(overlay, dir))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const path = posix.join(dir, name);
    const source = join(overlay, path);
    const stats = await lstat(source);
    const mode = stats.mode & 0o7777;
    if (stats.isDirectory()) {
      const existed = await writer.exists(path);
      const physical = await writer.mkdirp(path, { mode });
      if (!existed) writer.own(physical, { type: 'dir', uid: 0, gid: 0, mode });
      await copyDirectory(writer, overlay, path, linked);
    } else if (stats.isSymbolicLink()) {
      await writer.symlink(path, await readlink(source));
    } else if (stats.isFile()) {
      const inode = `${stats.dev}:${stats.ino}`;
      const first = stats.nlink > 1 ? linked.get(inode) : undefined;
      if (first !== undefined) {
        await writer.hardlink(first, path);
        continue;
      }
      const physical = await writer.writeFile(path, await readFile(source), { mode });
      if (stats.nlink > 1) linked.set(inode, physical);
    } else {
      throw new OverlayApplyError('ERR_OVERLAY_UNSUPPORTED_FILE', `${source} is a device, fifo or socket; overlays hold files, directories and symlinks`, {
        path: source,
        hint: 'declare device nodes in the manifest instead',
      });
    }
  }
}
