import {
  DistroforgeError,
  optionIssuesMessage,
  type ErrorDetails,
  type OptionIssue,
  type OptionsErrorDetails,
} from '@distroforge/core';

/** Stable error codes of this package (listed in the README; boot-loader's and core's pass through). */
export const diskErrorCodes = [
  'ERR_INVALID_OPTIONS',
  'ERR_INPUT_MISSING',
  'ERR_DISK_TOO_SMALL',
  'ERR_PARTITION_LAYOUT',
  'ERR_NOT_A_GPT_DISK',
  'ERR_GRUB_IMAGE_LAYOUT',
  'ERR_EXT4_LAYOUT',
] as const;

export type DiskErrorCode = (typeof diskErrorCodes)[number];

const hints: Record<DiskErrorCode, string> = {
  ERR_INVALID_OPTIONS: 'check the options against the README',
  ERR_INPUT_MISSING: 'build it first or fix the path',
  ERR_DISK_TOO_SMALL: 'leave the size unset to compute it, or raise it',
  ERR_PARTITION_LAYOUT: 'partitions must not overlap and must lie between the primary and backup GPT',
  ERR_NOT_A_GPT_DISK: 'is this a raw disk image? convert qcow2 with qemu-img convert -O raw first',
  ERR_GRUB_IMAGE_LAYOUT: 'use the i386-pc boot.img and core.img of one GRUB 2 installation (grub-pc-bin)',
  ERR_EXT4_LAYOUT:
    'a bug in @distroforge/disk-assemble or an unexpected mke2fs version: please report it with the mkfs.ext4 version',
};

/** Base of every error this package throws on purpose: its code's hint unless it gives another. */
export class DiskError extends DistroforgeError {
  declare readonly code: DiskErrorCode;
  constructor(code: DiskErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { ...details, hint: details.hint ?? hints[code] });
  }
}

/** Options that fail validation (zod) or a semantic rule; `value` names the (first) offending key, `issues` every problem. */
export class InvalidDiskOptionsError extends DiskError {
  readonly issues: readonly OptionIssue[];
  constructor(message: string, details: OptionsErrorDetails = {}) {
    const { issues, ...rest } = details;
    super('ERR_INVALID_OPTIONS', message, rest);
    this.issues = issues ?? [{ key: typeof details.value === 'string' ? details.value : '', message }];
  }
}

/** The options error naming every problem found. */
export function invalidDiskOptions(issues: readonly OptionIssue[], cause?: unknown): InvalidDiskOptionsError {
  return new InvalidDiskOptionsError(optionIssuesMessage(issues, 'disk'), { value: issues[0]?.key, issues, cause });
}

/** Two partitions claim the same sectors, or one lies outside the usable area of the disk. */
export class PartitionLayoutError extends DiskError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_PARTITION_LAYOUT', message, details);
  }
}

/** The disk (or a partition) is smaller than what must go into it. */
export class DiskTooSmallError extends DiskError {
  readonly needed: number;
  constructor(what: string, requested: number, needed: number, details: ErrorDetails = {}) {
    super('ERR_DISK_TOO_SMALL', `${what} needs at least ${needed} bytes, ${requested} were given`, {
      value: requested,
      ...details,
    });
    this.needed = needed;
  }
}

/** A file given to inspectDisk (or read back) carries no valid GPT. */
export class NotAGptDiskError extends DiskError {
  constructor(path: string, why: string) {
    super('ERR_NOT_A_GPT_DISK', `${path} has no valid GPT: ${why}`, { path });
  }
}

/** An input (root directory, kernel, initrd, partition content) does not exist. */
export class DiskInputMissingError extends DiskError {
  constructor(what: string, path: string, details: ErrorDetails = {}) {
    super('ERR_INPUT_MISSING', `${what} not found: ${path}`, { path, value: what, ...details });
  }
}

/** GRUB's images did not look the way grub-install expects (another GRUB version or platform). */
export class GrubImageLayoutError extends DiskError {
  constructor(message: string, path: string) {
    super('ERR_GRUB_IMAGE_LAYOUT', message, { path });
  }
}

/** An ext4 image that `mkfs.ext4` made does not look the way the inode normalisation expects. */
export class Ext4LayoutError extends DiskError {
  constructor(message: string, path: string) {
    super('ERR_EXT4_LAYOUT', message, { path });
  }
}
