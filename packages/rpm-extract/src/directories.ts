import { closeSync, constants, fchmodSync, futimesSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { rpmError } from './errors.js';
import { io, writeError } from './write-error.js';

// O_NOFOLLOW: a symlink at the path fails the open (ELOOP) instead of redirecting the change.
const directoryFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Creates a directory, or accepts a directory already there; anything else at the path (a
 * symlink above all) is refused rather than followed. `path` names the package file in errors.
 */
export function makeDirectory(abs: string, path: string, mode = 0o700): void {
  try {
    mkdirSync(abs, { mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(path, error);
    if (!lstatSync(abs).isDirectory())
      throw rpmError('ERR_RPM_UNSAFE_PATH', `refusing to extract ${path}: ${abs} exists and is not a directory`, {
        value: path,
        path: abs,
      });
  }
}

/**
 * Makes `dir` and its missing ancestors below `base` one at a time, never through a symlink
 * (mkdir -p would follow one). `made` holds directories already proven real; they are skipped.
 */
export function makeParents(base: string, dir: string, made: Set<string>, path: string): void {
  const missing: string[] = [];
  for (let d = dir; d.length > base.length && !made.has(d); d = dirname(d)) missing.push(d);
  for (let i = missing.length - 1; i >= 0; i--) {
    makeDirectory(missing[i]!, path, 0o777);
    made.add(missing[i]!);
  }
}

/** Sets a directory's mode and times through a descriptor opened without following a symlink. */
export function setDirectoryAttributes(abs: string, path: string, mode: number, mtime: number | undefined): void {
  io(path, () => {
    const fd = openSync(abs, directoryFlags);
    try {
      fchmodSync(fd, mode);
      if (mtime !== undefined) futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
  });
}
