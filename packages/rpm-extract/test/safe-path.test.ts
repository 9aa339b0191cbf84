import { describe, expect, it } from 'vitest';
import { safeRelativePath } from '../src/safe-path.js';

/** The definition the fast path must agree with: split, drop empty and `.` components, refuse `..` and NUL. */
function bySplitting(path: string): string | 'unsafe' {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  return parts.length === 0 || parts.includes('..') || path.includes('\0') ? 'unsafe' : parts.join('/');
}

function outcome(path: string): string {
  try {
    return safeRelativePath(path);
  } catch (error) {
    expect((error as { code?: string }).code).toBe('ERR_RPM_UNSAFE_PATH');
    return 'unsafe';
  }
}

describe('safeRelativePath', () => {
  const paths = [
    '/usr/bin/hello',
    '/opt/bench/small/d7/f7.txt',
    '/a',
    '/ä/ö ü/名前',
    './usr/lib/x.so',
    'usr/lib/x.so',
    '/usr//lib/',
    '/usr/./lib',
    '/usr/lib/.',
    '/usr/.hidden/..dots/...',
    '/.config/a..b',
    '/usr/../etc/passwd',
    '/usr/lib/..',
    '/..',
    '..',
    '/',
    '',
    '.',
    '/usr/bin/nul\0byte',
    '/\0',
  ];
  it.each(paths)('%j: the fast path agrees with splitting', (path) => {
    expect(outcome(path)).toBe(bySplitting(path));
  });
  it('canonical absolute paths come back without the leading slash; escapes are refused', () => {
    expect(safeRelativePath('/usr/share/doc/a b/README')).toBe('usr/share/doc/a b/README');
    expect(() => safeRelativePath('/usr/../../etc')).toThrow(/leaves the target/);
  });
});
