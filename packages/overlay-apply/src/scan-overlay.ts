import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { OverlayApplyError, SourceSymlinkError, UnsafeNameError } from './errors.js';
import { assertHostPathFits, assertNameFits } from './path-limits.js';

/** One node of an overlay tree: its path inside the image, where it is on the host, its lstat. */
export interface OverlayEntry {
  path: string;
  source: string;
  stats: Stats;
}

/** Characters that end a record of the line-based formats image paths travel in (pseudo files, debugfs scripts). */
const lineBreak = /[\n\r]/;

/**
 * Walks an `airootfs/`-style tree before anything is written, so a bad overlay leaves the root
 * untouched. Refuses: an overlay directory that is itself a symlink (its target — possibly the
 * host's /etc — would be copied; checked on the path with trailing slashes removed, which lstat
 * would otherwise follow), names with a line break or that are not UTF-8 (the manifest is JSON
 * text), devices, fifos and sockets, and names or paths too long for the root. Symlinks inside the
 * tree are entries of their own, never followed. Directories come before their contents, names
 * in byte order.
 */
export async function scanOverlay(overlay: string, root: string): Promise<OverlayEntry[]> {
  const top = resolve(overlay);
  const stats = await lstat(top).catch(() => undefined);
  if (stats?.isSymbolicLink()) throw new SourceSymlinkError(overlay, await readlink(top));
  if (!stats?.isDirectory()) {
    throw new OverlayApplyError('ERR_OVERLAY_SOURCE_MISSING', `overlay directory ${overlay} does not exist`, {
      path: overlay,
      hint: 'pass the airootfs/ directory of the profile',
    });
  }
  const entries: OverlayEntry[] = [];
  await scanDirectory(top, '/', root, entries);
  return entries;
}

async function scanDirectory(overlay: string, dir: string, root: string, entries: OverlayEntry[]): Promise<void> {
  // Raw bytes: a string readdir turns a non-UTF-8 name into U+FFFD and the file could not be found again.
  const raw = (await readdir(join(overlay, dir), { encoding: 'buffer' })).sort(Buffer.compare);
  for (const bytes of raw) {
    const name = bytes.toString('utf8');
    const path = posix.join(dir, name);
    const source = join(overlay, path);
    if (!Buffer.from(name).equals(bytes)) throw new UnsafeNameError(source, 'is not valid UTF-8');
    if (lineBreak.test(name)) throw new UnsafeNameError(source, 'contains a line break');
    assertNameFits(name, path);
    assertHostPathFits(source, source);
    assertHostPathFits(join(root, path), path);
    const stats = await lstat(source);
    if (!stats.isDirectory() && !stats.isFile() && !stats.isSymbolicLink()) {
      throw new OverlayApplyError(
        'ERR_OVERLAY_UNSUPPORTED_FILE',
        `${source} is a device, fifo or socket; overlays hold files, directories and symlinks`,
        {
          path: source,
          hint: 'declare device nodes in the manifest instead',
        },
      );
    }
    entries.push({ path, source, stats });
    if (stats.isDirectory()) await scanDirectory(overlay, path, root, entries);
  }
}
