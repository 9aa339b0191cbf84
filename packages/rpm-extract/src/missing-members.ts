import type { RpmFile } from './types.js';

/**
 * The header files the payload should have carried but did not: everything that is not a
 * `%ghost`, not a directory (old packages leave empty ones out and rpm creates them), and not a
 * hard link whose set's contents arrived with another member. Extraction and `verifyRpm` share it,
 * so what one refuses the other reports.
 */
export function missingMembers(
  files: readonly RpmFile[],
  seen: ReadonlySet<number>,
  links: ReadonlyMap<number, number[]>,
  filled: ReadonlySet<number[]>,
): RpmFile[] {
  return files.filter((file, index) => {
    if (seen.has(index) || file.ghost || file.type === 'dir') return false;
    const set = links.get(index);
    return !(set && filled.has(set));
  });
}
