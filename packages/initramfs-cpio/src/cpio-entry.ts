import { posix } from 'node:path';
import { CpioEntryError } from './errors.js';

export type CpioEntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/**
 * One archive member as the writer takes it. Paths are archive names: relative, `/`-separated,
 * `.` for the root (a leading `/` or `./` is accepted and dropped).
 */
export interface CpioEntry {
  path: string;
  type: CpioEntryType;
  /** Permission bits including setuid/setgid/sticky (0..0o7777); the type bits come from `type`. */
  mode: number;
  uid?: number;
  gid?: number;
  /** Seconds since 1970; clamped to SOURCE_DATE_EPOCH when the writer has one. Default 0 (or the epoch). */
  mtime?: number;
  /** Link count to record; default 1 (2 for directories, the number of names for hard links). */
  nlink?: number;
  /** Inode number; default: assigned in order by the writer. */
  ino?: number;
  /** Contents of a `file`, in memory. */
  data?: Uint8Array | string;
  /** Contents of a `file`, read from this path on disk while writing (`size` is then required). */
  source?: string;
  /** Size of `source` in bytes (from lstat). */
  size?: number;
  /** Further names of the same `file` (hard links): written first with size 0, data on the last name. */
  links?: readonly string[];
  /** Target of a `symlink`. */
  target?: string;
  /** Device numbers of `char` and `block` entries. */
  major?: number;
  minor?: number;
}

/** `/bin/sh`, `./bin/sh`, `bin//sh` -> `bin/sh`; `/`, `.`, `./` -> `.`. Rejects `..` components. */
export function archivePath(path: string): string {
  if (path.includes('\0'))
    throw new CpioEntryError(`path contains a NUL byte: ${JSON.stringify(path)}`, { value: path });
  const normalised = posix.normalize(`/${path}`);
  if (path.split('/').includes('..'))
    throw new CpioEntryError(`path contains "..": ${JSON.stringify(path)}`, { value: path });
  const relative = normalised.replace(/^\/+/, '').replace(/\/+$/, '');
  return relative === '' ? '.' : relative;
}
