import { DistroforgeError, type ErrorDetails } from '@distroforge/core';

/** Stable error codes of this package (listed in the README). */
export const rpmErrorCodes = [
  'ERR_RPM_BAD_MAGIC',
  'ERR_RPM_TRUNCATED',
  'ERR_RPM_HEADER_OVERFLOW',
  'ERR_RPM_BAD_HEADER',
  'ERR_RPM_UNKNOWN_COMPRESSOR',
  'ERR_RPM_BAD_PAYLOAD',
  'ERR_RPM_LIMIT_EXCEEDED',
  'ERR_RPM_DIGEST_MISMATCH',
  'ERR_RPM_UNSAFE_PATH',
  'ERR_RPM_OPTIONS_INVALID',
  'ERR_RPM_UNKNOWN_OWNER',
  'ERR_RPM_TARGET_EXISTS',
  'ERR_RPM_WRITE',
  'ERR_RPM_READ',
] as const;

export type RpmErrorCode = (typeof rpmErrorCodes)[number];

/** Every error this package throws on purpose: a corrupt package, an unsafe path, bad options. */
export class RpmError extends DistroforgeError {
  declare readonly code: RpmErrorCode;
  constructor(code: RpmErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}

const defaultHints: Record<RpmErrorCode, string> = {
  ERR_RPM_BAD_MAGIC: 'the file is not an RPM package (or is corrupt); check what was downloaded',
  ERR_RPM_TRUNCATED: 'the package ends early; download it again',
  ERR_RPM_HEADER_OVERFLOW: 'the package header is corrupt; download it again',
  ERR_RPM_BAD_HEADER: 'the package header is corrupt or from an unsupported RPM version',
  ERR_RPM_UNKNOWN_COMPRESSOR: 'supported payload compressors: gzip, bzip2, xz, lzma, zstd and none',
  ERR_RPM_BAD_PAYLOAD: 'the package payload is corrupt; download it again',
  ERR_RPM_LIMIT_EXCEEDED:
    'the package declares a length no real package has (a path or symlink target over PATH_MAX, oversized names); it is corrupt or hostile: do not install it',
  ERR_RPM_DIGEST_MISMATCH: 'the package is corrupt or was tampered with; download it again',
  ERR_RPM_UNSAFE_PATH: 'the package tries to write outside the target directory; do not install it',
  ERR_RPM_OPTIONS_INVALID: 'fix the option named in the message',
  ERR_RPM_UNKNOWN_OWNER: 'create the user/group in the target first (install the package that provides it)',
  ERR_RPM_TARGET_EXISTS: 'extract into a new or empty directory, or pass merge: true to add to an existing root',
  ERR_RPM_WRITE: 'check free space and permissions of the target directory',
  ERR_RPM_READ: 'check that the package path exists and is readable',
};

/** Builds an RpmError with the default hint of its code unless one is given. */
export function rpmError(code: RpmErrorCode, message: string, details: ErrorDetails = {}): RpmError {
  return new RpmError(code, message, { hint: defaultHints[code], ...details });
}
