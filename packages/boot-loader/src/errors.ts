import { DistroforgeError, type ErrorDetails, type OptionIssue, type OptionsErrorDetails } from '@distroforge/core';

/** Stable error codes of this package (listed in the README). */
export const bootLoaderErrorCodes = [
  'ERR_INVALID_OPTIONS',
  'ERR_INPUT_MISSING',
  'ERR_BOOT_FILE_MISSING',
  'ERR_GRUB_MODULE_MISSING',
  'ERR_SBAT_MISMATCH',
  'ERR_KERNEL_UNSIGNED',
  'ERR_ESP_TOO_SMALL',
  'ERR_BOOT_FILES_INCOMPLETE',
] as const;

export type BootLoaderErrorCode = (typeof bootLoaderErrorCodes)[number];

// The hint of each code, unless the error gives a more specific one (the Debian package to install).
const hints: Record<BootLoaderErrorCode, string> = {
  ERR_INVALID_OPTIONS: 'check the options against the README',
  ERR_INPUT_MISSING: 'build it first or fix the path',
  ERR_BOOT_FILE_MISSING: 'install the Debian package named in the message (apt-get install PACKAGE)',
  ERR_GRUB_MODULE_MISSING: 'install the GRUB package named in the message (or drop the modules from the request)',
  ERR_SBAT_MISMATCH:
    'upgrade shim-signed and grub-efi-amd64-signed together (apt-get install shim-signed grub-efi-amd64-signed) so their SBAT generations match',
  ERR_KERNEL_UNSIGNED: "use Debian's signed kernel (linux-image-amd64) or build without secureBoot",
  ERR_ESP_TOO_SMALL: 'leave espSize unset to size it automatically, or raise it',
  ERR_BOOT_FILES_INCOMPLETE:
    "add the packages named in the message to the image, or remove its partial boot files so the host's are used",
};

/** Base of every error this package throws on purpose: its code's hint unless it gives another. */
export class BootLoaderError extends DistroforgeError {
  declare readonly code: BootLoaderErrorCode;
  constructor(code: BootLoaderErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { ...details, hint: details.hint ?? hints[code] });
  }
}

/**
 * Options that fail validation (zod) or semantic rules; `value` names the (first) offending key,
 * `issues` lists every problem. iso-assemble throws this class for its own options too.
 */
export class InvalidOptionsError extends BootLoaderError {
  readonly issues: readonly OptionIssue[];
  constructor(message: string, details: OptionsErrorDetails = {}) {
    const { issues, ...rest } = details;
    super('ERR_INVALID_OPTIONS', message, rest);
    this.issues = issues ?? [{ key: typeof details.value === 'string' ? details.value : '', message }];
  }
}

/**
 * An input file (an ESP file's source; in iso-assemble also the kernel, initrd, root image, extra
 * files) does not exist or is not readable.
 */
export class InputMissingError extends BootLoaderError {
  constructor(what: string, path: string, details: ErrorDetails = {}) {
    super('ERR_INPUT_MISSING', `${what} not found: ${path}`, { path, value: what, ...details });
  }
}

/**
 * A firmware/bootloader file that a Debian package ships is missing (GRUB platform directory,
 * boot_hybrid.img, shim, signed GRUB). The hint is the install command.
 */
export class BootFileMissingError extends BootLoaderError {
  readonly debianPackage: string;
  constructor(what: string, path: string, debianPackage: string, details: ErrorDetails = {}) {
    super('ERR_BOOT_FILE_MISSING', `${what} not found: ${path} (from the Debian package ${debianPackage})`, {
      hint: `install it with: apt-get install ${debianPackage}`,
      path,
      value: debianPackage,
      ...details,
    });
    this.debianPackage = debianPackage;
  }
}

/** GRUB modules that an image needs are not in the platform's module directory. */
export class GrubModuleMissingError extends BootLoaderError {
  readonly modules: readonly string[];
  constructor(platform: string, modules: readonly string[], directory: string, debianPackage: string) {
    super('ERR_GRUB_MODULE_MISSING', `GRUB ${platform} modules missing from ${directory}: ${modules.join(', ')}`, {
      hint: `install them with: apt-get install ${debianPackage} (or drop the modules from the request)`,
      path: directory,
      value: [...modules],
    });
    this.modules = [...modules];
  }
}

/**
 * shim's SBAT revocation level requires a newer generation of a component than the GRUB binary
 * carries: firmware with Secure Boot would refuse it with "Security Violation".
 */
export class SbatMismatchError extends BootLoaderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_SBAT_MISMATCH', message, details);
  }
}

/** Secure Boot was requested but the kernel carries no Authenticode signature. */
export class KernelUnsignedError extends BootLoaderError {
  constructor(path: string) {
    super('ERR_KERNEL_UNSIGNED', `the kernel is not signed, Secure Boot firmware would refuse it: ${path}`, { path });
  }
}

/** The ESP's content does not fit the requested ESP size. */
export class EspTooSmallError extends BootLoaderError {
  constructor(requested: number, needed: number) {
    super('ERR_ESP_TOO_SMALL', `the EFI system partition needs at least ${needed} bytes, ${requested} were requested`, {
      value: requested,
    });
  }
}

/** One boot file an image lacks for a firmware: what it is, the package that ships it, what was tried. */
export interface LackingBootFile {
  key: string;
  description: string;
  package: string;
  /** The image paths looked at and why each could not be used (`missing`, a symlink leaving the root...). */
  why: string;
}

/**
 * An image root carries part of a firmware's boot files but not all (a signed shim without a GRUB
 * it can load, GRUB modules without the platform's kernel.img): `value` lists the missing keys.
 */
export class BootFilesIncompleteError extends BootLoaderError {
  readonly firmware: string;
  readonly lacking: readonly LackingBootFile[];
  constructor(firmware: string, root: string, lacking: readonly LackingBootFile[]) {
    const packages = [...new Set(lacking.map((l) => l.package))];
    super(
      'ERR_BOOT_FILES_INCOMPLETE',
      `the image in ${root} has part of the ${firmware} boot files: ${lacking.map((l) => `no usable ${l.description} (${l.package}: ${l.why})`).join('; ')}`,
      {
        hint: `add ${packages.join(', ')} to the image, or remove its partial ${firmware} boot files so the host's are used`,
        path: root,
        value: lacking.map((l) => l.key),
      },
    );
    this.firmware = firmware;
    this.lacking = lacking.map((l) => ({ ...l }));
  }
}
