import { readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { quote } from './debugfs-script.js';
import { byPath, diffRootTrees, type RootNode, type RootTreeDiffOptions, type RootTreeSide } from './tree-diff.js';

export interface Ext4Delta {
  /** debugfs commands turning an image of `base` into one of `next`. */
  commands: string[];
  /** Paths removed, (re)written, or whose owner, mode or time changed. */
  changed: number;
}

/**
 * The debugfs commands that turn an ext4 image built from `base` (mkfs.ext4 -d plus the ownership
 * pass) into an image of `next` (see diffRootTrees): removals deepest first, then new and
 * rewritten nodes parents first, then the owner, mode and times of every node touched.
 */
export function ext4Delta(base: RootTreeSide, next: RootTreeSide, options: RootTreeDiffOptions): Ext4Delta {
  const { removed, written, retimed, links } = diffRootTrees(base, next, options);
  const commands: string[] = [];
  const inDir = (path: string, command: string) => commands.push(`cd ${quote(posix.dirname(path))}`, command, 'cd /');
  for (const node of [...removed].sort((a, b) => byPath(b.path, a.path))) {
    inDir(node.path, `${node.kind === 'dir' ? 'rmdir' : 'rm'} ${quote(posix.basename(node.path))}`);
  }
  const firstOfSet = new Map<string, string>();
  for (const node of written) {
    const name = quote(posix.basename(node.path));
    const set = node.kind === 'file' && node.entry ? links.get(node.entry.inode) : undefined;
    const first = set ? firstOfSet.get(node.entry!.inode) : undefined;
    if (first !== undefined) inDir(node.path, `ln ${quote(first)} ${name}`);
    else inDir(node.path, createCommand(node, name, next.directory));
    if (set && first === undefined) firstOfSet.set(node.entry!.inode, node.path);
  }
  for (const node of [...written, ...retimed]) {
    const q = quote(node.path);
    commands.push(`sif ${q} uid ${node.uid}`, `sif ${q} gid ${node.gid}`, `sif ${q} mode ${node.mode}`);
    commands.push(
      `sif ${q} mtime @${node.mtime}`,
      `sif ${q} atime @${options.sourceDateEpoch}`,
      `sif ${q} ctime @${options.sourceDateEpoch}`,
      `sif ${q} crtime @${options.sourceDateEpoch}`,
    );
  }
  // debugfs's ln does not count links: the first member of each set carries the set's size.
  for (const [inode, path] of firstOfSet) commands.push(`sif ${quote(path)} links_count ${links.get(inode)!.length}`);
  return { commands, changed: new Set([...removed, ...written, ...retimed].map((n) => n.path)).size };
}

function createCommand(node: RootNode, name: string, directory: string): string {
  switch (node.kind) {
    case 'file':
      return `write ${quote(join(directory, node.path))} ${name}`;
    case 'dir':
      return `mkdir ${name}`;
    case 'symlink':
      return `symlink ${name} ${quote(node.entry ? readlinkSync(join(directory, node.path)) : node.made!.slice(2))}`;
    case 'fifo':
      return `mknod ${name} p`;
    case 'char':
    case 'block':
      return `mknod ${name} ${node.made}`;
  }
}
