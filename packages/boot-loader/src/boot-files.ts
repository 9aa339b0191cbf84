import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { BootFileMissingError } from './errors.js';

/**
 * Where Debian's bootloader packages put their files. Every path can be overridden by the caller
 * (another distribution, a newer shim), which is why they are data and not constants in the code.
 */
export interface BootFileLocations {
  /** GRUB's i386-pc modules and images (grub-pc-bin). */
  grubI386PcDir: string;
  /** GRUB's x86_64-efi modules (grub-efi-amd64-bin). */
  grubX8664EfiDir: string;
  /** Debian's Microsoft-signed shim (shim-signed). */
  shim: string;
  /** shim's MokManager, signed (shim-helpers-amd64-signed, pulled in by shim-signed). */
  mokManager: string;
  /** Debian's signed GRUB for removable media: all modules built in, finds the medium via /.disk/info. */
  signedGrub: string;
  /**
   * ESP directories (besides `/EFI/BOOT` and `/boot/grub`) where the signed GRUB looks for its
   * grub.cfg: an EL GRUB's built-in prefix `/EFI/<vendor>`. A Secure Boot ESP gets the stub there too.
   */
  grubConfigDirs?: string[];
}

export const debianBootFiles: BootFileLocations = {
  grubI386PcDir: '/usr/lib/grub/i386-pc',
  grubX8664EfiDir: '/usr/lib/grub/x86_64-efi',
  shim: '/usr/lib/shim/shimx64.efi.signed',
  mokManager: '/usr/lib/shim/mmx64.efi.signed',
  signedGrub: '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed',
};

/** The Debian package that ships each location, named in the error when a file is missing. */
export const bootFilePackages: Record<Exclude<keyof BootFileLocations, 'grubConfigDirs'>, string> = {
  grubI386PcDir: 'grub-pc-bin',
  grubX8664EfiDir: 'grub-efi-amd64-bin',
  shim: 'shim-signed',
  mokManager: 'shim-signed',
  signedGrub: 'grub-efi-amd64-signed',
};

const descriptions: Record<Exclude<keyof BootFileLocations, 'grubConfigDirs'>, string> = {
  grubI386PcDir: 'GRUB i386-pc (BIOS) directory',
  grubX8664EfiDir: 'GRUB x86_64-efi directory',
  shim: 'signed shim',
  mokManager: 'signed MokManager',
  signedGrub: 'signed GRUB EFI image',
};

/** GRUB's hybrid MBR: boots the El Torito core image when the ISO is written to a USB disk. */
export function bootHybridImage(locations: BootFileLocations): string {
  return join(locations.grubI386PcDir, 'boot_hybrid.img');
}

/** The hybrid MBR's path, or BootFileMissingError naming grub-pc-bin. */
export async function requireHybridMbr(locations: BootFileLocations): Promise<string> {
  const file = bootHybridImage(locations);
  try {
    await access(file, constants.R_OK);
    return file;
  } catch (cause) {
    throw new BootFileMissingError("GRUB's hybrid MBR (boot_hybrid.img)", file, bootFilePackages.grubI386PcDir, {
      cause,
    });
  }
}

/** Throws BootFileMissingError (with the apt-get command) unless the location is readable. */
export async function requireBootFile(
  locations: BootFileLocations,
  key: Exclude<keyof BootFileLocations, 'grubConfigDirs'>,
): Promise<string> {
  const file = locations[key];
  try {
    await access(file, constants.R_OK);
    return file;
  } catch (cause) {
    throw new BootFileMissingError(descriptions[key], file, bootFilePackages[key], { cause });
  }
}
