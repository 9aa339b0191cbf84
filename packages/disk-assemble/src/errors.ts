import { DistroforgeError, type ErrorDetails } from '@distroforge/core';

/** Options that fail validation (zod) or a semantic rule; `value` names the offending key. */
export class InvalidDiskOptionsError extends DistroforgeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_INVALID_OPTIONS', message, { hint: 'check the options against the README', ...details });
  }
}

/** Two partitions claim the same sectors, or one lies outside the usable area of the disk. */
export class PartitionLayoutError extends DistroforgeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_PARTITION_LAYOUT', message, { hint: 'partitions must not overlap and must lie between the primary and backup GPT', ...details });
  }
}

/** The disk (or a partition) is smaller than what must go into it. */
export class DiskTooSmallError extends DistroforgeError {
  readonly needed: number;
  constructor(what: string, requested: number, needed: number, details: ErrorDetails = {}) {
    super('ERR_DISK_TOO_SMALL', `${what} needs at least ${needed} bytes, ${requested} were given`, {
      hint: 'leave the size unset to compute it, or raise it',
      value: requested,
      ...details,
    });
    this.needed = needed;
  }
}

/** A file given to inspectDisk (or read back) carries no valid GPT. */
export class NotAGptDiskError extends DistroforgeError {
  constructor(path: string, why: string) {
    super('ERR_NOT_A_GPT_DISK', `${path} has no valid GPT: ${why}`, { hint: 'is this a raw disk image? convert qcow2 with qemu-img convert -O raw first', path });
  }
}

/** An input (root directory, kernel, initrd, partition content) does not exist. */
export class DiskInputMissingError extends DistroforgeError {
  constructor(what: string, path: string, details: ErrorDetails = {}) {
    super('ERR_INPUT_MISSING', `${what} not found: ${path}`, { hint: 'build it first or fix the path', path, value: what, ...details });
  }
}
