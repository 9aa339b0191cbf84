import type { TreeWalker } from '@distroforge/disk-assemble';
import type { LoadedProfile } from '../profile/load-profile.js';
import type { Reporter } from '../output/reporter.js';
import type { StageCache } from '../engine/stage-cache.js';
import type { ProfilePaths } from '../profile/profile-paths.js';
import type { LockFile } from './lock-file.js';
import type { MetadataRules } from './metadata-floor.js';
import type { BuildMode } from './image-compression.js';
import type { StageBootFiles } from './stage-boot-files.js';
import type { RootKernelHandoff } from './root-kernel.js';

/** What every stage of a build can read. */
export interface BuildContext {
  loaded: LoadedProfile;
  paths: ProfilePaths;
  reporter: Reporter;
  cache: StageCache;
  /** The build timestamp: SOURCE_DATE_EPOCH, else the profile's, else a fixed default. */
  epoch: number;
  /** `dev` (default) or `release` (`--release`): the squashfs preset where the profile names no level; part of the image stages' keys. */
  mode: BuildMode;
  /** Tool log of this build. */
  logFile: string;
  signal?: AbortSignal;
  /** The newest package metadata seen (lock file, earlier builds): an older copy is refused. */
  metadata: MetadataRules;
  /** The profile's apt resolution (as a lock file), made once per build: the lock check and the rootfs key share it. */
  resolveLock: () => Promise<LockFile>;
  /**
   * Lists a completed stage's tree once per build (stage outputs never change once complete): the
   * layer and the disk image both diff the overlay tree against the bootstrapped root.
   */
  walkStageTree: TreeWalker;
  /**
   * The boot files of a finished tree (`stageBootFiles` with the profile's firmware), chosen and
   * digested once per build: the ISO and the disk stage both need them for their keys.
   */
  bootFilesOf: (root: string) => Promise<StageBootFiles>;
  /**
   * An apt root's kernel, handed from the rootfs stage to the initramfs stage as soon as it is
   * unpacked (`handsKernelEarly`); other sources' initramfs stages read the finished root.
   */
  rootKernel?: RootKernelHandoff;
}

/** Used when neither SOURCE_DATE_EPOCH nor the profile sets one: never the wall clock. */
export const DEFAULT_EPOCH = 1_700_000_000;

/** The ISO volume label / live medium label of a profile. */
export function mediumLabel(loaded: LoadedProfile): string {
  return (
    loaded.profile.boot.label ??
    loaded.profile.name
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '_')
      .slice(0, 32)
  );
}

/** Which boot paths the profile's firmware list asks the ISO and the disk to carry. */
export function firmwareFlags(loaded: LoadedProfile): { bios: boolean; uefi: boolean; secureBoot: boolean } {
  const firmware = loaded.profile.firmware;
  return {
    bios: firmware.includes('bios'),
    uefi: firmware.includes('uefi') || firmware.includes('uefi-secureboot'),
    secureBoot: firmware.includes('uefi-secureboot'),
  };
}
