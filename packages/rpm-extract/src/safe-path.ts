import { posix } from 'node:path';
import { rpmError } from './errors.js';

/**
 * The package path as a relative path below the target (`usr/bin/hello`), refusing anything that
 * could leave it: `..` components, empty names, NUL bytes.
 */
export function safeRelativePath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..') || path.includes('\0')) {
    throw rpmError('ERR_RPM_UNSAFE_PATH', `refusing to extract ${JSON.stringify(path)}: it is empty or leaves the target`, { value: path });
  }
  return parts.join('/');
}

/** The ancestors of a relative path, outermost first (`a/b/c` -> `a`, `a/b`). */
export function ancestors(relative: string): string[] {
  const out: string[] = [];
  let dir = posix.dirname(relative);
  while (dir !== '.' && dir !== '/') {
    out.unshift(dir);
    dir = posix.dirname(dir);
  }
  return out;
}
