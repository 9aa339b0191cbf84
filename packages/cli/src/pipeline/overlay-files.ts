import { scanOverlay } from '@distroforge/overlay-apply';
import { CliError } from '../errors.js';

export interface OverlayFile {
  path: string;
  source: string;
  mode: number;
}

/**
 * The regular files of an airootfs/ tree (directories first, names in byte order), for roots that
 * are archives rather than trees. overlay-apply's scan refuses what the tree-based sources refuse:
 * a symlinked airootfs, names with line breaks or not UTF-8, special files.
 */
export async function overlayFiles(root: string): Promise<OverlayFile[]> {
  const out: OverlayFile[] = [];
  for (const entry of await scanOverlay(root, '/')) {
    if (entry.stats.isFile()) out.push({ path: entry.path, source: entry.source, mode: entry.stats.mode & 0o7777 });
    else if (entry.stats.isSymbolicLink()) {
      throw new CliError(
        'ERR_OVERLAY_UNSUPPORTED',
        `${entry.path}: only regular files and directories are supported in a busybox profile's overlay`,
        {
          path: entry.source,
          hint: 'replace the link with a regular file',
        },
      );
    }
  }
  return out;
}
