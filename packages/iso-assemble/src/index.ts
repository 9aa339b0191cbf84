export { assembleIso, type AssembledIso } from './assemble-iso.js';
export { inspectIso, parseXorrisoReport, type IsoInspection, type IsoFileEntry, type ElToritoEntry, type MbrPartition, type GptPartition } from './inspect-iso.js';
export { assembleIsoOptionsSchema, normaliseIsoOptions, isoPaths, espVolumeLabel, type AssembleIsoOptions, type NormalisedIsoOptions } from './options.js';
export { buildEspImage, espSizeFor, type BuildEspImageOptions, type EspFile, type EspImage } from './esp-image.js';
export { buildGrubImage, requireGrubModules, defaultGrubModules, type BuildGrubImageOptions, type GrubImageFormat } from './grub-image.js';
export { uefiBootFiles, type UefiBootFilesOptions } from './uefi-boot-files.js';
export { renderGrubMenu, defaultMenuEntries, type GrubMenu, type MenuEntry, type LinuxMenuEntry, type LocalDiskMenuEntry } from './grub-menu.js';
export { renderSearchConfig, grubQuote } from './grub-script.js';
export { debianBootFiles, bootFilePackages, bootHybridImage, requireBootFile, requireHybridMbr, type BootFileLocations } from './boot-files.js';
export { checkSbatCompatibility, parseSbatCsv, parseSbatLevel, sbatViolations, type SbatEntry, type ShimSbatLevel, type SbatCheck } from './sbat.js';
export { hasAuthenticodeSignature } from './pe-signature.js';
export {
  InvalidOptionsError,
  InputMissingError,
  BootFileMissingError,
  GrubModuleMissingError,
  SbatMismatchError,
  KernelUnsignedError,
  EspTooSmallError,
  ToolOutputError,
  NotAnIsoError,
} from './errors.js';
