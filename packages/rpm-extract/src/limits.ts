/**
 * Hard limits on lengths a package declares, checked before anything of that length is read or
 * allocated: a few bytes of a compressed payload or header can otherwise claim gigabytes.
 */

/** Linux PATH_MAX: 4096 bytes with the NUL, so the kernel takes paths and symlink targets of at most 4095. */
export const pathMax = 4096;
export const maxPathBytes = pathMax - 1;

/** A newc member name: `.` + a path + NUL (rpm writes `./usr/...`). */
export const maxCpioNameSize = maxPathBytes + 2;

/**
 * All file paths together, against the header they come from: directory names are shared, so a
 * header of a few kilobytes can name thousands of files below one 4 KiB directory. Real packages
 * spend far more header bytes per file (digest, sizes, modes, owners) than their paths take.
 */
export const maxPathBytesPerHeaderByte = 32;
export const minPathBytesAllowance = 1 << 20;
