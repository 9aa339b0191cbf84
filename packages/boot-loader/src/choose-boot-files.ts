import { debianBootFiles, type BootFileLocations } from './boot-files.js';
import { firmwareBootFileKeys, type BootFileKey, type BootFirmware, type ImageBootFiles } from './image-boot-files.js';

/** Which boot files one firmware of a medium uses, and why the host's when they are. */
export interface BootFileUse {
  firmware: BootFirmware;
  /** `image`: the image's own files (findImageBootFiles); `host`: the build host's (debianBootFiles). */
  set: 'image' | 'host';
  /** Host fallback only: why the image's files are not used. */
  reason?: string;
  /** Host fallback only: `absent` (the image has none of them) or `ERR_BOOT_FILES_INCOMPLETE`. */
  reasonCode?: 'absent' | 'ERR_BOOT_FILES_INCOMPLETE' | 'not-looked-for';
  /** Each file: the path used on the host and, from the image, where it is in the image and its package. */
  files: { key: BootFileKey; path: string; imagePath?: string; package?: string }[];
}

export interface ChooseBootFilesOptions {
  /** The image's boot files (findImageBootFiles), or undefined when there is no image root to look in. */
  image: ImageBootFiles | undefined;
  /** The firmware the medium boots with: `uefi` is UEFI without Secure Boot (our GRUB). */
  firmware: readonly BootFirmware[];
  /** The host's files (default debianBootFiles). */
  host?: BootFileLocations;
  /** Secure Boot uses shim's MokManager (default true). */
  mokManager?: boolean;
}

export interface BootFileChoice {
  /** One set of locations for iso-assemble's and disk-assemble's `bootFiles`: per firmware, the chosen set's files. */
  locations: BootFileLocations;
  /** Per firmware, in the order asked. */
  uses: BootFileUse[];
}

/**
 * Image first: each firmware uses the image's own boot files when the image holds its whole set
 * (the SBAT and Secure Boot checks then apply to the image's shim/GRUB pair), else the host's,
 * with the reason (none in the image, or the BootFilesIncompleteError of a partial set).
 */
export function chooseBootFiles(options: ChooseBootFilesOptions): BootFileChoice {
  const host = options.host ?? debianBootFiles;
  const locations: BootFileLocations = { ...host };
  const uses: BootFileUse[] = [];
  for (const firmware of options.firmware) {
    const keys = firmwareBootFileKeys(firmware, { mokManager: options.mokManager ?? true });
    const state = options.image?.firmware[firmware];
    if (options.image !== undefined && state?.status === 'complete') {
      const image = options.image;
      const files = keys.map((key) => {
        const path = image.locations[key] as string;
        locations[key] = path;
        const origin = image.origins[key];
        return { key, path, ...(origin ? { imagePath: origin.imagePath, package: origin.package } : {}) };
      });
      if (firmware === 'uefi-secureboot' && image.locations.grubConfigDirs)
        locations.grubConfigDirs = [...image.locations.grubConfigDirs];
      uses.push({ firmware, set: 'image', files });
      continue;
    }
    const reason =
      state === undefined
        ? { reasonCode: 'not-looked-for' as const, reason: 'no image root to look in' }
        : state.status === 'partial'
          ? { reasonCode: 'ERR_BOOT_FILES_INCOMPLETE' as const, reason: state.error.message }
          : { reasonCode: 'absent' as const, reason: `the image has no ${firmware} boot files` };
    uses.push({ firmware, set: 'host', ...reason, files: keys.map((key) => ({ key, path: host[key] })) });
  }
  return { locations, uses };
}

/** The firmware a medium's flags (iso-assemble's and disk-assemble's bios/uefi/secureBoot) boot with. */
export function mediumFirmware(flags: { bios: boolean; uefi: boolean; secureBoot: boolean }): BootFirmware[] {
  return [
    ...(flags.bios ? (['bios'] as const) : []),
    ...(flags.secureBoot ? (['uefi-secureboot'] as const) : flags.uefi ? (['uefi'] as const) : []),
  ];
}
