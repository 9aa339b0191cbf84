import { nameMaxBytes, pathMaxBytes } from '@distroforge/core';
import { NameTooLongError, PathTooLongError } from './errors.js';

/** NAME_MAX and PATH_MAX - 1 (the terminating NUL) of Linux, in bytes, not UTF-16 units (core's, which `resolveInRoot` checks too). */
export const nameMax = nameMaxBytes;
export const pathMax = pathMaxBytes;

/** Refuses a name the kernel would reject with ENAMETOOLONG, naming `path` (the in-root path it belongs to). */
export function assertNameFits(name: string, path: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes > nameMax) throw new NameTooLongError(path, name, bytes);
}

/** Refuses a host path the kernel would reject with ENAMETOOLONG; `path` is what the user knows it as. */
export function assertHostPathFits(host: string, path: string): void {
  const bytes = Buffer.byteLength(host);
  if (bytes > pathMax) throw new PathTooLongError(path, host, bytes);
}
