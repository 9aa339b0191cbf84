import type { RpmFile } from './types.js';

/**
 * Groups regular, non-ghost files that share an inode number (rpm renumbers inodes per package).
 * Returns, for each member of a group of two or more, the indexes of the whole group in header
 * order. rpm stores the contents once, with the group's last member; the others are empty.
 */
export function hardlinkSets(files: readonly RpmFile[]): Map<number, number[]> {
  const byInode = new Map<number, number[]>();
  files.forEach((file, index) => {
    if (file.type !== 'file' || file.ghost || file.inode === 0) return;
    const group = byInode.get(file.inode);
    if (group) group.push(index);
    else byInode.set(file.inode, [index]);
  });
  const sets = new Map<number, number[]>();
  for (const group of byInode.values()) {
    if (group.length < 2) continue;
    for (const index of group) sets.set(index, group);
  }
  return sets;
}
