import { CpioNameTooLongError, CpioUnsafePathError } from './errors.js';
import { PATH_MAX } from './read-cpio.js';

/** Linux's NAME_MAX: the longest single path component, in bytes. */
export const NAME_MAX = 255;

/**
 * The relative path a member is extracted to: `./a//b` -> `a/b`, `.` -> ``. Absolute names, `..`
 * components and NUL bytes are refused (`ERR_CPIO_UNSAFE_PATH`); a component over NAME_MAX, or a
 * path under `root` of PATH_MAX or more, is `ERR_CPIO_NAME_TOO_LONG` (checked here so the
 * filesystem never answers with a bare ENAMETOOLONG).
 */
export function memberPath(name: string, root: string): string {
  if (name.startsWith('/')) throw new CpioUnsafePathError(name, 'absolute path');
  if (name.includes('\0')) throw new CpioUnsafePathError(name, 'contains a NUL byte');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new CpioUnsafePathError(name, 'contains ".."');
  for (const part of parts) {
    const bytes = Buffer.byteLength(part);
    if (bytes > NAME_MAX)
      throw new CpioNameTooLongError(name, `a path component of ${bytes} bytes (the limit is ${NAME_MAX})`);
  }
  const path = parts.join('/');
  const full = Buffer.byteLength(root) + 1 + Buffer.byteLength(path);
  if (full >= PATH_MAX)
    throw new CpioNameTooLongError(
      name,
      `${parts.length} components, ${full} bytes under the target (the limit is ${PATH_MAX - 1})`,
    );
  return path;
}
