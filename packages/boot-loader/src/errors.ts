import { DistroforgeError, type ErrorDetails } from '@distroforge/core';

/**
 * Options that fail validation (zod) or semantic rules; `value` names the offending key.
 * iso-assemble throws this class for its own options too.
 */
export class InvalidOptionsError extends DistroforgeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_INVALID_OPTIONS', message, { hint: 'check the options against the README', ...details });
  }
}

/**
 * An input file (an ESP file's source; in iso-assemble also the kernel, initrd, root image, extra
 * files) does not exist or is not readable.
 */
export class InputMissingError extends DistroforgeError {
  constructor(what: string, path: string, details: ErrorDetails = {}) {
    super('ERR_INPUT_MISSING', `${what} not found: ${path}`, { hint: 'build it first or fix the path', path, value: what, ...details });
  }
}

/**
 * A firmware/bootloader file that a Debian package ships is missing (GRUB platform directory,
 * boot_hybrid.img, shim, signed GRUB). The hint is the install command.
 */
export class BootFileMissingError extends DistroforgeError {
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
export class GrubModuleMissingError extends DistroforgeError {
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
export class SbatMismatchError extends DistroforgeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_SBAT_MISMATCH', message, {
      hint: 'upgrade shim-signed and grub-efi-amd64-signed together (apt-get install shim-signed grub-efi-amd64-signed) so their SBAT generations match',
      ...details,
    });
  }
}

/** Secure Boot was requested but the kernel carries no Authenticode signature. */
export class KernelUnsignedError extends DistroforgeError {
  constructor(path: string) {
    super('ERR_KERNEL_UNSIGNED', `the kernel is not signed, Secure Boot firmware would refuse it: ${path}`, {
      hint: "use Debian's signed kernel (linux-image-amd64) or build without secureBoot",
      path,
    });
  }
}

/** The ESP's content does not fit the requested ESP size. */
export class EspTooSmallError extends DistroforgeError {
  constructor(requested: number, needed: number) {
    super('ERR_ESP_TOO_SMALL', `the EFI system partition needs at least ${needed} bytes, ${requested} were requested`, {
      hint: 'leave espSize unset to size it automatically, or raise it',
      value: requested,
    });
  }
}
