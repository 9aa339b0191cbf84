import { join } from 'node:path';
import { requireBootFile, type BootFileLocations } from './boot-files.js';
import type { EspFile } from './esp-image.js';
import { buildGrubImage } from './grub-image.js';

export interface UefiBootFilesOptions {
  /** Debian's signed shim + GRUB (true) or our own GRUB image (false). */
  secureBoot: boolean;
  /**
   * GRUB script that sets `root` and `prefix` to where grub.cfg lives (e.g. renderSearchConfig's
   * label search). Embedded in our own GRUB image; on a Secure Boot ESP it becomes the stub grub.cfg.
   */
  findBootFiles: string;
  /** Put shim's MokManager on the ESP (Secure Boot only). */
  mokManager: boolean;
  locations: BootFileLocations;
  /** Where our GRUB image is built. */
  workDir: string;
  logFile: string;
  signal?: AbortSignal | undefined;
  /** Passed to buildGrubImage. */
  cacheDir?: string | undefined;
}

/**
 * The files of a UEFI ESP, for buildEspImage (shared by ISOs and disk images).
 *
 * Secure Boot: shim as the removable-media loader `EFI/BOOT/BOOTX64.EFI`, signed GRUB beside it
 * as `grubx64.efi` (shim loads that name from its own directory), MokManager, and the stub
 * grub.cfg both where signed GRUB looks first (`/boot/grub` on its own device) and beside it.
 * Never `fbx64.efi`: shim would run the fallback loader and try to create boot entries instead.
 *
 * Otherwise: one GRUB image built with grub-mkimage, `findBootFiles` as its embedded config.
 */
export async function uefiBootFiles(options: UefiBootFilesOptions): Promise<EspFile[]> {
  const { locations } = options;
  if (options.secureBoot) {
    const stub = `${options.findBootFiles.trimEnd()}\nconfigfile $prefix/grub.cfg\n`;
    return [
      { path: '/EFI/BOOT/BOOTX64.EFI', source: await requireBootFile(locations, 'shim') },
      { path: '/EFI/BOOT/grubx64.efi', source: await requireBootFile(locations, 'signedGrub') },
      ...(options.mokManager
        ? [{ path: '/EFI/BOOT/mmx64.efi', source: await requireBootFile(locations, 'mokManager') }]
        : []),
      { path: '/EFI/BOOT/grub.cfg', content: stub },
      { path: '/boot/grub/grub.cfg', content: stub },
      // An EL GRUB's built-in prefix (/EFI/<vendor>); never twice the same file.
      ...[...new Set((locations.grubConfigDirs ?? []).map((dir) => `/${dir.replace(/^\/+|\/+$/g, '')}/grub.cfg`))]
        .filter((path) => path !== '/EFI/BOOT/grub.cfg' && path !== '/boot/grub/grub.cfg')
        .map((path) => ({ path, content: stub })),
    ];
  }
  await requireBootFile(locations, 'grubX8664EfiDir');
  const image = join(options.workDir, 'bootx64.efi');
  await buildGrubImage({
    format: 'x86_64-efi',
    output: image,
    embeddedConfig: options.findBootFiles,
    moduleDir: locations.grubX8664EfiDir,
    modulePackage: 'grub-efi-amd64-bin',
    logFile: options.logFile,
    signal: options.signal,
    cacheDir: options.cacheDir,
  });
  return [{ path: '/EFI/BOOT/BOOTX64.EFI', source: image }];
}
