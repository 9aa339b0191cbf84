import { posix } from 'node:path';
import { rpmError } from './errors.js';
import { safeRelativePath } from './safe-path.js';
import type { RpmFile } from './types.js';

/**
 * The relative path below the target of every file the header lists (undefined for `%ghost`
 * files, which are never created), after proving the tree can be written without following a
 * link: no path leaves the target, no path is listed twice (a second entry could swap a file,
 * directory or symlink for another), and nothing lies below a symlink, regular file or device.
 * Payload members are matched to these entries, so no ordering of the payload can create a
 * path twice or put a symlink where a later member's directory should be.
 */
export function fileTree(files: readonly RpmFile[]): Array<string | undefined> {
  const rels = files.map((file) => (file.ghost ? undefined : safeRelativePath(file.path)));
  const byPath = new Map<string, RpmFile>();
  rels.forEach((rel, index) => {
    if (rel === undefined) return;
    const earlier = byPath.get(rel);
    if (earlier) {
      throw rpmError(
        'ERR_RPM_UNSAFE_PATH',
        `refusing to extract ${files[index]!.path}: the package lists /${rel} twice (${earlier.type} and ${files[index]!.type})`,
        {
          value: files[index]!.path,
        },
      );
    }
    byPath.set(rel, files[index]!);
  });
  // Directories already proven to have only directories (or unlisted paths) above them.
  const clear = new Set<string>();
  rels.forEach((rel, index) => {
    if (rel === undefined) return;
    for (let dir = posix.dirname(rel); dir !== '.' && !clear.has(dir); dir = posix.dirname(dir)) {
      const above = byPath.get(dir);
      if (above && above.type !== 'dir') {
        const through = above.type === 'symlink' ? `the symlink /${dir}` : `/${dir}, a ${above.type}`;
        throw rpmError(
          'ERR_RPM_UNSAFE_PATH',
          `refusing to extract ${files[index]!.path} through ${through} the package lists`,
          { value: files[index]!.path },
        );
      }
      clear.add(dir);
    }
  });
  return rels;
}
