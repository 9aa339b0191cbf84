import {
  DistroforgeError,
  optionIssuesMessage,
  type ErrorDetails,
  type OptionIssue,
  type OptionsErrorDetails,
} from '@distroforge/core';

/** Stable error codes of this package (listed in the README; core's tool, manifest and usage codes pass through). */
export const initramfsErrorCodes = [
  'ERR_INVALID_OPTIONS',
  'ERR_CPIO_FIELD_OVERFLOW',
  'ERR_CPIO_BAD_ENTRY',
  'ERR_CPIO_SOURCE_CHANGED',
  'ERR_CPIO_SPEC_SYNTAX',
  'ERR_CPIO_CORRUPT',
  'ERR_CPIO_TRUNCATED',
  'ERR_CPIO_UNSAFE_PATH',
  'ERR_CPIO_LIMIT',
  'ERR_CPIO_NAME_TOO_LONG',
  'ERR_CPIO_TARGET_NOT_EMPTY',
  'ERR_CPIO_EXTRACT_FAILED',
  'ERR_MODULE_NOT_FOUND',
  'ERR_MODULES_DIR',
  'ERR_BUSYBOX_NOT_STATIC',
  'ERR_LIVE_ARG_INVALID',
  'ERR_INITRAMFS_COMPRESSION_UNSUPPORTED',
  'ERR_KERNEL_CONFIG',
] as const;

export type InitramfsErrorCode = (typeof initramfsErrorCodes)[number];

// A class passes a more specific hint only where the case at hand needs another (a field other
// than filesize, a list item, a kernel without initramfs support).
const hints: Record<InitramfsErrorCode, string> = {
  ERR_INVALID_OPTIONS: 'check the options against the README',
  ERR_CPIO_FIELD_OVERFLOW: 'newc cannot hold files of 4 GiB or more; leave the file out of the initramfs',
  ERR_CPIO_BAD_ENTRY: 'fix the entry (see the CpioEntry type)',
  ERR_CPIO_SOURCE_CHANGED: 'do not modify the tree while packing it',
  ERR_CPIO_SPEC_SYNTAX: "see the kernel's usr/gen_init_cpio usage: file/dir/nod/slink/pipe/sock lines",
  ERR_CPIO_CORRUPT: 'the file is not a newc (070701) cpio archive or is damaged',
  ERR_CPIO_TRUNCATED: 'the archive is incomplete; rebuild or re-download it',
  ERR_CPIO_UNSAFE_PATH: 'the archive tries to write outside the target directory; do not trust it',
  ERR_CPIO_LIMIT:
    'names and symlink targets are at most 4096 bytes (PATH_MAX); the archive is damaged or hostile, do not trust it',
  ERR_CPIO_NAME_TOO_LONG:
    'a path component is at most 255 bytes and a whole path under 4096; extract into a shorter target path, or do not trust the archive',
  ERR_CPIO_TARGET_NOT_EMPTY: 'extract into a new directory (or an empty one) and merge from there if needed',
  ERR_CPIO_EXTRACT_FAILED:
    'check free space and permissions where the target is being created; nothing was left behind',
  ERR_MODULE_NOT_FOUND: 'check the module name (modinfo NAME) and that depmod was run for this kernel',
  ERR_MODULES_DIR: 'pass lib/modules/<version> of an unpacked kernel and run depmod -b ROOT VERSION',
  ERR_BUSYBOX_NOT_STATIC: 'install a static busybox: apt-get install busybox-static (or pass busybox: PATH)',
  ERR_LIVE_ARG_INVALID: 'no spaces, quotes, $, ` or \\',
  ERR_INITRAMFS_COMPRESSION_UNSUPPORTED:
    "build the kernel with CONFIG_RD_ZSTD=y (or RD_GZIP/RD_XZ), or pass compress: 'none' explicitly for an uncompressed initramfs",
  ERR_KERNEL_CONFIG:
    "pass the kernel's .config (plain or gzip, e.g. a copy of /proc/config.gz), or leave config out to look in the root",
};

/** Base of every error this package throws on purpose: its code's hint unless it gives another. */
export class InitramfsError extends DistroforgeError {
  declare readonly code: InitramfsErrorCode;
  constructor(code: InitramfsErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { ...details, hint: details.hint ?? hints[code] });
  }
}

/** Options that fail validation; `value` names the first offending key, `issues` every problem. */
export class InvalidOptionsError extends InitramfsError {
  readonly issues: readonly OptionIssue[];
  constructor(message: string, details: OptionsErrorDetails = {}) {
    const { issues, ...rest } = details;
    super('ERR_INVALID_OPTIONS', message, rest);
    this.issues = issues ?? [{ key: typeof details.value === 'string' ? details.value : '', message }];
  }
}

/** The options error of `subject` (`buildBusyboxInitramfs`) naming every problem found; for core's parseOptions. */
export function invalidOptions(subject: string): (issues: readonly OptionIssue[]) => InvalidOptionsError {
  return (issues) => new InvalidOptionsError(optionIssuesMessage(issues, subject), { value: issues[0]?.key, issues });
}

/** A value does not fit its 8-hex-digit newc field (e.g. a file of 4 GiB or more). Never clamped. */
export class CpioFieldOverflowError extends InitramfsError {
  readonly field: string;
  constructor(field: string, value: number, path: string) {
    super('ERR_CPIO_FIELD_OVERFLOW', `${path}: ${field} ${value} does not fit a newc field (0..0xffffffff)`, {
      path,
      value,
      ...(field === 'filesize' ? {} : { hint: `use a ${field} below 2^32` }),
    });
    this.field = field;
  }
}

/** An entry given to the writer is not valid (unknown type, missing target or device numbers...). */
export class CpioEntryError extends InitramfsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_CPIO_BAD_ENTRY', message, details);
  }
}

/** A source file changed size between stat and read, so the header already written would lie. */
export class CpioSourceChangedError extends InitramfsError {
  constructor(path: string, expected: number, actual: number) {
    super(
      'ERR_CPIO_SOURCE_CHANGED',
      `${path} changed while being archived (${expected} bytes expected, ${actual} read)`,
      { path, value: actual },
    );
  }
}

/** A gen_init_cpio spec line cannot be parsed. */
export class CpioSpecError extends InitramfsError {
  constructor(file: string, line: number, message: string, text: string) {
    super('ERR_CPIO_SPEC_SYNTAX', `${file}:${line}: ${message}: ${text}`, { path: file, value: text });
  }
}

/** The archive being read is not a valid newc archive (bad magic, bad hex, bad sizes). */
export class CpioCorruptError extends InitramfsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_CPIO_CORRUPT', message, details);
  }
}

/** The archive ended in the middle of an entry, or without a TRAILER!!! entry. */
export class CpioTruncatedError extends InitramfsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_CPIO_TRUNCATED', message, details);
  }
}

/** Extraction refused a member that could write outside the target (escaping name, path through a symlink, replaced link). */
export class CpioUnsafePathError extends InitramfsError {
  constructor(name: string, reason: string) {
    super('ERR_CPIO_UNSAFE_PATH', `refusing to extract ${JSON.stringify(name)}: ${reason}`, { value: name });
  }
}

/** A length the archive declares is beyond what any real member can have (a name or symlink target over PATH_MAX). */
export class CpioLimitError extends InitramfsError {
  readonly field: string;
  constructor(archive: string, field: string, value: number, limit: number, member: string) {
    // The message names `limit`; the code's hint names PATH_MAX, the only limit the reader applies.
    super('ERR_CPIO_LIMIT', `${archive}: ${member}: declared ${field} ${value} exceeds ${limit} bytes`, {
      path: archive,
      value,
    });
    this.field = field;
  }
}

/** A member's name (or symlink target) is longer than the filesystem allows under the target directory. */
export class CpioNameTooLongError extends InitramfsError {
  constructor(name: string, reason: string) {
    super(
      'ERR_CPIO_NAME_TOO_LONG',
      `cannot extract ${JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}...` : name)}: ${reason}`,
      { value: name },
    );
  }
}

/** Extraction needs a target that does not exist yet (or is an empty directory): it is created whole or not at all. */
export class CpioTargetNotEmptyError extends InitramfsError {
  constructor(path: string, reason: string) {
    super('ERR_CPIO_TARGET_NOT_EMPTY', `cannot extract into ${path}: ${reason}`, { path });
  }
}

/** The filesystem refused an operation while extracting a member (no space, permissions...). */
export class CpioExtractError extends InitramfsError {
  constructor(name: string, cause: unknown) {
    const { code, syscall } = (cause ?? {}) as { code?: string; syscall?: string };
    super(
      'ERR_CPIO_EXTRACT_FAILED',
      `extracting ${JSON.stringify(name)} failed: ${syscall ?? 'operation'}: ${code ?? (cause as Error)?.message ?? String(cause)}`,
      { value: name, cause },
    );
  }
}

/** A requested kernel module is neither in modules.dep nor built in. */
export class KernelModuleNotFoundError extends InitramfsError {
  constructor(name: string, modulesDir: string) {
    super(
      'ERR_MODULE_NOT_FOUND',
      `kernel module ${name} not found in ${modulesDir} (neither in modules.dep, modules.alias nor modules.builtin)`,
      {
        path: modulesDir,
        value: name,
      },
    );
  }
}

/** The modules directory is missing modules.dep or is otherwise unusable. */
export class KernelModulesDirError extends InitramfsError {
  constructor(message: string, path: string, cause?: unknown) {
    super('ERR_MODULES_DIR', message, { path, cause });
  }
}

/** The busybox given to an initramfs builder is not a static executable. */
export class BusyboxNotStaticError extends InitramfsError {
  constructor(path: string, why: string) {
    super('ERR_BUSYBOX_NOT_STATIC', `${path} cannot be used as the initramfs busybox: ${why}`, { path });
  }
}

/** A `live.*` value the live init could not read back from the kernel command line as written. */
export class LiveArgInvalidError extends InitramfsError {
  constructor(word: string, value: string, inList: boolean) {
    super('ERR_LIVE_ARG_INVALID', `${word}: ${JSON.stringify(value)} cannot be on a kernel command line`, {
      value,
      ...(inList ? { hint: `${hints.ERR_LIVE_ARG_INVALID}, and no commas in a list item` } : {}),
    });
  }
}

/** The kernel cannot unpack any compressed initramfs the writer can produce (gzip, xz, zstd), or none at all. */
export class InitramfsCompressionUnsupportedError extends InitramfsError {
  /** The `CONFIG_RD_*` decompressors the kernel has (e.g. `['LZ4', 'LZO']`). */
  readonly supported: string[];
  constructor(config: string, supported: string[], initrd: boolean) {
    const has = supported.length ? supported.map((s) => `CONFIG_RD_${s}`).join(', ') : 'no compressed initramfs';
    super(
      'ERR_INITRAMFS_COMPRESSION_UNSUPPORTED',
      initrd
        ? `${config}: the kernel unpacks ${has}, none of which the writer produces (gzip, xz, zstd)`
        : `${config}: the kernel cannot load an initramfs (CONFIG_BLK_DEV_INITRD is not set)`,
      {
        path: config,
        value: supported,
        ...(initrd ? {} : { hint: 'build the kernel with CONFIG_BLK_DEV_INITRD=y, or boot it without an initramfs' }),
      },
    );
    this.supported = [...supported];
  }
}

/** A kernel config file named explicitly cannot be read, or what was found is not a kernel config. */
export class KernelConfigError extends InitramfsError {
  constructor(path: string, why: string, cause?: unknown) {
    super('ERR_KERNEL_CONFIG', `${path}: ${why}`, { path, cause });
  }
}
