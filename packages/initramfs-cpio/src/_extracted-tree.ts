import { CpioUnsafePathError } from './errors.js';

type Node = { kind: 'dir' } | { kind: 'symlink' } | { kind: 'file'; inode: string | undefined };

/**
 * What one extraction has created so far, by relative path. Extraction happens in a fresh private
 * directory, so this record is the whole truth about it: a path is only ever resolved through
 * directories made here, and hard links only ever point at regular files made here that no later
 * member has replaced. Directories are never replaced (a member that tries is refused), so a
 * directory checked once stays a directory.
 */
export class ExtractedTree {
  private readonly nodes = new Map<string, Node>([['', { kind: 'dir' }]]);
  /** Hard-link key -> the names that still hold that inode. */
  private readonly inodes = new Map<string, Set<string>>();

  kind(path: string): Node['kind'] | undefined {
    return this.nodes.get(path)?.kind;
  }

  /**
   * The parents of `path` that do not exist yet, outermost first. Every parent that does exist must
   * be a directory this extraction made; a symlink anywhere in the path is refused, even one that
   * points inside the target (it could be replaced later, and the kernel would not follow it either).
   */
  missingParents(path: string, member: string): string[] {
    const parts = path.split('/');
    const missing: string[] = [];
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const kind = missing.length ? undefined : this.kind(parent);
      if (kind === undefined) missing.push(parent);
      else if (kind === 'symlink')
        throw new CpioUnsafePathError(
          member,
          `${parent} is a symlink (an earlier member); members are never written through symlinks`,
        );
      else if (kind !== 'dir') throw new CpioUnsafePathError(member, `${parent} is not a directory`);
    }
    return missing;
  }

  /** Records what now exists at `path` (replacing what was there), or `undefined` once it is removed. */
  set(path: string, node: Node | undefined): void {
    const old = this.nodes.get(path);
    if (old?.kind === 'file' && old.inode !== undefined) this.inodes.get(old.inode)?.delete(path);
    if (node === undefined) {
      this.nodes.delete(path);
      return;
    }
    this.nodes.set(path, node);
    if (node.kind === 'file' && node.inode !== undefined) {
      const names = this.inodes.get(node.inode) ?? new Set<string>();
      names.add(path);
      this.inodes.set(node.inode, names);
    }
  }

  /**
   * A name to hard-link to for this inode: `undefined` when the inode is new. When every earlier
   * name of the inode was replaced by a later member, linking is refused: what was there may now
   * be a symlink to a host file.
   */
  linkSource(inode: string, member: string): string | undefined {
    const names = this.inodes.get(inode);
    if (names === undefined) return undefined;
    const [first] = names;
    if (first === undefined)
      throw new CpioUnsafePathError(
        member,
        'it is a hard link to an inode whose earlier names were all replaced by later members',
      );
    return first;
  }
}
