import { fileTypeBits, type Manifest, type ManifestEntry } from '@distroforge/core';
import { posix } from 'node:path';
import { InvalidDiskOptionsError } from './errors.js';
import type { TreeEntry } from './walk-tree.js';

export interface OwnershipScriptOptions {
  /** Timestamps: mtimes are clamped to it, atime/ctime/crtime set to it. */
  sourceDateEpoch: number;
}

export interface OwnershipScript {
  /** debugfs commands, one per line. */
  commands: string[];
  /** Manifest fields that are not written into the filesystem (file capabilities). */
  notApplied: { path: string; field: 'caps' }[];
}

/** ext4 inodes keep the seconds of a time in 32 bits (+ epoch bits mke2fs -d leaves at 0). */
const MTIME_KEPT_BY_MKE2FS = (seconds: number) => seconds >= 0 && seconds < 2 ** 31;

/**
 * The debugfs commands that finish an ext4 image built by `mkfs.ext4 -d` after
 * `normaliseTreeInodes` gave every tree inode its owner and times: the mtime of tree entries whose
 * time mke2fs could not store as it is (before 1970, after 2038), then the manifest's entries
 * (overrides, plus device nodes, fifos, directories and symlinks that are not on disk).
 */
export function ownershipScript(
  tree: readonly TreeEntry[],
  manifest: Manifest,
  options: OwnershipScriptOptions,
): OwnershipScript {
  const epoch = options.sourceDateEpoch;
  const commands: string[] = [];
  const onDisk = new Map(tree.map((entry) => [entry.path, entry]));
  const times = (path: string, mtime: number) => {
    const q = quote(path);
    commands.push(
      `sif ${q} mtime @${Math.min(mtime, epoch)}`,
      `sif ${q} atime @${epoch}`,
      `sif ${q} ctime @${epoch}`,
      `sif ${q} crtime @${epoch}`,
    );
  };
  for (const entry of tree) {
    if (entry.type === 'other')
      throw new InvalidDiskOptionsError(
        `the root tree holds a special file; declare it in the manifest instead: ${entry.path}`,
        { value: entry.path },
      );
    if (!MTIME_KEPT_BY_MKE2FS(entry.mtimeSec))
      commands.push(`sif ${quote(entry.path)} mtime @${Math.min(entry.mtimeSec, epoch)}`);
  }
  const notApplied: OwnershipScript['notApplied'] = [];
  for (const entry of manifest.entries) {
    const q = quote(entry.path);
    const existing = onDisk.get(entry.path);
    const type = entry.type ?? (existing?.type === 'other' ? undefined : existing?.type);
    if (!existing) {
      // debugfs 1.47.0's mknod links the whole argument as one name in the current directory.
      const base = quote(posix.basename(entry.path));
      let create: string;
      if (type === 'char' || type === 'block')
        create = `mknod ${base} ${type === 'char' ? 'c' : 'b'} ${entry.major} ${entry.minor}`;
      else if (type === 'fifo') create = `mknod ${base} p`;
      else if (type === 'dir') create = `mkdir ${base}`;
      else if (type === 'symlink' && entry.target !== undefined) create = `symlink ${base} ${quote(entry.target)}`;
      else
        throw new InvalidDiskOptionsError(
          `manifest entry ${entry.path} is not on disk and is not a node the manifest can create (char, block, fifo, dir, symlink with target)`,
          { value: entry.path },
        );
      commands.push(`cd ${quote(posix.dirname(entry.path))}`, create, 'cd /');
      commands.push(`sif ${q} uid 0`, `sif ${q} gid 0`);
      times(entry.path, epoch);
      if (entry.mode === undefined && type !== undefined)
        commands.push(
          `sif ${q} mode ${fileTypeBits[type] | (type === 'symlink' ? 0o777 : type === 'dir' ? 0o755 : 0o644)}`,
        );
    }
    if (entry.uid !== undefined) commands.push(`sif ${q} uid ${entry.uid}`);
    if (entry.gid !== undefined) commands.push(`sif ${q} gid ${entry.gid}`);
    if (entry.mode !== undefined) {
      if (type === undefined)
        throw new InvalidDiskOptionsError(`manifest entry ${entry.path} sets a mode but its type is unknown`, {
          value: entry.path,
        });
      commands.push(`sif ${q} mode ${fileTypeBits[type] | entry.mode}`);
    }
    if (entry.caps !== undefined) notApplied.push({ path: entry.path, field: 'caps' });
  }
  return { commands, notApplied };
}

/** debugfs splits command lines at blanks and honours double quotes; nothing escapes a quote. */
export function quote(path: string): string {
  if (/["\n\r\0]/.test(path))
    throw new InvalidDiskOptionsError(`path cannot be passed to debugfs (quote or newline): ${JSON.stringify(path)}`, {
      value: path,
    });
  return `"${path}"`;
}
