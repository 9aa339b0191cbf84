import { posix } from 'node:path';
import { rpmError } from './errors.js';

/** `/a/b/c`: absolute, no empty components, no NUL (linear: each component starts at its own slash). */
const canonicalPath = /^(?:\/[^/\0]+)+$/;
/** A `.` or `..` component. */
const dotComponent = /\/\.\.?(?:\/|$)/;

/**
 * The package path as a relative path below the target (`usr/bin/hello`), refusing anything that
 * could leave it: `..` components, empty names, NUL bytes.
 */
export function safeRelativePath(path: string): string {
  // Fast path for the canonical absolute paths rpm writes (called several times per file).
  if (canonicalPath.test(path) && !dotComponent.test(path)) return path.slice(1);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..') || path.includes('\0')) {
    throw rpmError(
      'ERR_RPM_UNSAFE_PATH',
      `refusing to extract ${JSON.stringify(path)}: it is empty or leaves the target`,
      { value: path },
    );
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
