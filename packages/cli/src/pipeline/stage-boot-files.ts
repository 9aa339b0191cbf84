import {
  bootFileDigests,
  chooseBootFiles,
  findImageBootFiles,
  mediumFirmware,
  type BootFileKey,
  type BootFileLocations,
  type BootFileUse,
  type BootFirmware,
} from '@distroforge/boot-loader';
import { rememberPerKey } from '../engine/remember-per-key.js';

/** One firmware's boot files as the build report names them: the set used and, for the host's, why. */
export interface BootFilesReport {
  firmware: BootFirmware;
  set: 'image' | 'host';
  /** Host fallback: why the image's own files were not used. */
  reason?: string;
  reasonCode?: BootFileUse['reasonCode'];
  /** Each file: its path in the image (image set) or on the host, its package (image set) and its sha256. */
  files: { key: BootFileKey; path: string; package?: string; sha256: string }[];
}

export interface StageBootFiles {
  /** For iso-assemble's and disk-assemble's `bootFiles`. */
  locations: BootFileLocations;
  /** Part of the stage's result and of its inputs (the digests: a changed shim rebuilds the medium). */
  report: BootFilesReport[];
}

/**
 * The boot files of the ISO or disk: per firmware the image's own (shim-x64, grub2-efi-x64,
 * grub2-pc-modules... or Debian's packages in the root) when the root has the whole set, else the
 * host's, with the reason. The Secure Boot and SBAT checks then run on the pair actually used.
 */
export async function stageBootFiles(
  root: string,
  flags: { bios: boolean; uefi: boolean; secureBoot: boolean },
  mokManager = true,
): Promise<StageBootFiles> {
  const image = await findImageBootFiles(root, { mokManager });
  const choice = chooseBootFiles({ image, firmware: mediumFirmware(flags), mokManager });
  const report: BootFilesReport[] = [];
  for (const use of choice.uses) {
    const digests = await bootFileDigests(
      choice.locations,
      use.files.map((f) => f.key),
    );
    report.push({
      firmware: use.firmware,
      set: use.set,
      ...(use.reason === undefined ? {} : { reason: use.reason, reasonCode: use.reasonCode }),
      // In-image paths (never the state directory's), so the key does not depend on where the state is.
      files: use.files.map((f) => ({
        key: f.key,
        path: f.imagePath ?? f.path,
        ...(f.package ? { package: f.package } : {}),
        sha256: digests[f.key] ?? 'missing',
      })),
    });
  }
  return { locations: choice.locations, report };
}

/** `stageBootFiles` remembered per root: the ISO and the disk stage of one build share one choice and its digests. */
export function bootFilesOnce(flags: {
  bios: boolean;
  uefi: boolean;
  secureBoot: boolean;
}): (root: string) => Promise<StageBootFiles> {
  return rememberPerKey((root) => stageBootFiles(root, flags));
}

/** What of the choice goes into a stage key: per firmware the set and each file's path in the image (or host) and digest. */
export function bootFilesKey(report: readonly BootFilesReport[]): unknown {
  return report.map((r) => ({
    firmware: r.firmware,
    set: r.set,
    files: r.files.map((f) => [f.key, f.path, f.sha256]),
  }));
}
