import { DistroforgeError, type ErrorDetails } from '@distroforge/core';

/** A value does not fit its 8-hex-digit newc field (e.g. a file of 4 GiB or more). Never clamped. */
export class CpioFieldOverflowError extends DistroforgeError {
  readonly field: string;
  constructor(field: string, value: number, path: string) {
    super('ERR_CPIO_FIELD_OVERFLOW', `${path}: ${field} ${value} does not fit a newc field (0..0xffffffff)`, {
      path,
      value,
      hint: field === 'filesize' ? 'newc cannot hold files of 4 GiB or more; leave the file out of the initramfs' : `use a ${field} below 2^32`,
    });
    this.field = field;
  }
}

/** An entry given to the writer is not valid (unknown type, missing target or device numbers...). */
export class CpioEntryError extends DistroforgeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_CPIO_BAD_ENTRY', message, { hint: 'fix the entry (see the CpioEntry type)', ...details });
  }
}

/** A source file changed size between stat and read, so the header already written would lie. */
export class CpioSourceChangedError extends DistroforgeError {
  constructor(path: string, expected: number, actual: number) {
    super('ERR_CPIO_SOURCE_CHANGED', `${path} changed while being archived (${expected} bytes expected, ${actual} read)`, {
      path,
      value: actual,
      hint: 'do not modify the tree while packing it',
    });
  }
}

/** A gen_init_cpio spec line cannot be parsed. */
export class CpioSpecError extends DistroforgeError {
  constructor(file: string, line: number, message: string, text: string) {
    super('ERR_CPIO_SPEC_SYNTAX', `${file}:${line}: ${message}: ${text}`, {
      path: file,
      value: text,
      hint: 'see the kernel\'s usr/gen_init_cpio usage: file/dir/nod/slink/pipe/sock lines',
    });
  }
}

/** The archive being read is not a valid newc archive (bad magic, bad hex, bad sizes). */
export class CpioCorruptError extends DistroforgeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_CPIO_CORRUPT', message, { hint: 'the file is not a newc (070701) cpio archive or is damaged', ...details });
  }
}

/** The archive ended in the middle of an entry, or without a TRAILER!!! entry. */
export class CpioTruncatedError extends DistroforgeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_CPIO_TRUNCATED', message, { hint: 'the archive is incomplete; rebuild or re-download it', ...details });
  }
}

/** Extraction refused a member that could write outside the target (escaping name, path through a symlink, replaced link). */
export class CpioUnsafePathError extends DistroforgeError {
  constructor(name: string, reason: string) {
    super('ERR_CPIO_UNSAFE_PATH', `refusing to extract ${JSON.stringify(name)}: ${reason}`, {
      value: name,
      hint: 'the archive tries to write outside the target directory; do not trust it',
    });
  }
}

/** A length the archive declares is beyond what any real member can have (a name or symlink target over PATH_MAX). */
export class CpioLimitError extends DistroforgeError {
  readonly field: string;
  constructor(archive: string, field: string, value: number, limit: number, member: string) {
    super('ERR_CPIO_LIMIT', `${archive}: ${member}: declared ${field} ${value} exceeds ${limit} bytes`, {
      path: archive,
      value,
      hint: `names and symlink targets are at most ${limit} bytes (PATH_MAX); the archive is damaged or hostile, do not trust it`,
    });
    this.field = field;
  }
}

/** A member's name (or symlink target) is longer than the filesystem allows under the target directory. */
export class CpioNameTooLongError extends DistroforgeError {
  constructor(name: string, reason: string) {
    super('ERR_CPIO_NAME_TOO_LONG', `cannot extract ${JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}...` : name)}: ${reason}`, {
      value: name,
      hint: 'a path component is at most 255 bytes and a whole path under 4096; extract into a shorter target path, or do not trust the archive',
    });
  }
}

/** Extraction needs a target that does not exist yet (or is an empty directory): it is created whole or not at all. */
export class CpioTargetNotEmptyError extends DistroforgeError {
  constructor(path: string, reason: string) {
    super('ERR_CPIO_TARGET_NOT_EMPTY', `cannot extract into ${path}: ${reason}`, {
      path,
      hint: 'extract into a new directory (or an empty one) and merge from there if needed',
    });
  }
}

/** The filesystem refused an operation while extracting a member (no space, permissions...). */
export class CpioExtractError extends DistroforgeError {
  constructor(name: string, cause: unknown) {
    const { code, syscall } = (cause ?? {}) as { code?: string; syscall?: string };
    super('ERR_CPIO_EXTRACT_FAILED', `extracting ${JSON.stringify(name)} failed: ${syscall ?? 'operation'}: ${code ?? (cause as Error)?.message ?? String(cause)}`, {
      value: name,
      cause,
      hint: 'check free space and permissions where the target is being created; nothing was left behind',
    });
  }
}

/** A requested kernel module is neither in modules.dep nor built in. */
export class KernelModuleNotFoundError extends DistroforgeError {
  constructor(name: string, modulesDir: string) {
    super('ERR_MODULE_NOT_FOUND', `kernel module ${name} not found in ${modulesDir} (neither in modules.dep, modules.alias nor modules.builtin)`, {
      path: modulesDir,
      value: name,
      hint: 'check the module name (modinfo NAME) and that depmod was run for this kernel',
    });
  }
}

/** The modules directory is missing modules.dep or is otherwise unusable. */
export class KernelModulesDirError extends DistroforgeError {
  constructor(message: string, path: string, cause?: unknown) {
    super('ERR_MODULES_DIR', message, { path, cause, hint: 'pass lib/modules/<version> of an unpacked kernel and run depmod -b ROOT VERSION' });
  }
}

/** The busybox given to an initramfs builder is not a static executable. */
export class BusyboxNotStaticError extends DistroforgeError {
  constructor(path: string, why: string) {
    super('ERR_BUSYBOX_NOT_STATIC', `${path} cannot be used as the initramfs busybox: ${why}`, {
      path,
      hint: 'install a static busybox: apt-get install busybox-static (or pass busybox: PATH)',
    });
  }
}

/** A `live.*` value the live init could not read back from the kernel command line as written. */
export class LiveArgInvalidError extends DistroforgeError {
  constructor(word: string, value: string, inList: boolean) {
    super('ERR_LIVE_ARG_INVALID', `${word}: ${JSON.stringify(value)} cannot be on a kernel command line`, {
      value,
      hint: `no spaces, quotes, $, \` or \\${inList ? ', and no commas in a list item' : ''}`,
    });
  }
}

/** The kernel cannot unpack any compressed initramfs the writer can produce (gzip, xz, zstd), or none at all. */
export class InitramfsCompressionUnsupportedError extends DistroforgeError {
  /** The `CONFIG_RD_*` decompressors the kernel has (e.g. `['LZ4', 'LZO']`). */
  readonly supported: string[];
  constructor(config: string, supported: string[], initrd: boolean) {
    const has = supported.length ? supported.map((s) => `CONFIG_RD_${s}`).join(', ') : 'no compressed initramfs';
    super('ERR_INITRAMFS_COMPRESSION_UNSUPPORTED', initrd ? `${config}: the kernel unpacks ${has}, none of which the writer produces (gzip, xz, zstd)` : `${config}: the kernel cannot load an initramfs (CONFIG_BLK_DEV_INITRD is not set)`, {
      path: config,
      value: supported,
      hint: initrd
        ? "build the kernel with CONFIG_RD_ZSTD=y (or RD_GZIP/RD_XZ), or pass compress: 'none' explicitly for an uncompressed initramfs"
        : 'build the kernel with CONFIG_BLK_DEV_INITRD=y, or boot it without an initramfs',
    });
    this.supported = [...supported];
  }
}

/** A kernel config file named explicitly cannot be read, or what was found is not a kernel config. */
export class KernelConfigError extends DistroforgeError {
  constructor(path: string, why: string, cause?: unknown) {
    super('ERR_KERNEL_CONFIG', `${path}: ${why}`, {
      path,
      cause,
      hint: 'pass the kernel\'s .config (plain or gzip, e.g. a copy of /proc/config.gz), or leave config out to look in the root',
    });
  }
}
