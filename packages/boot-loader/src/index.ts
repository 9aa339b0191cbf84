export { buildGrubImage, defaultGrubModules, type BuildGrubImageOptions, type GrubImageFormat } from './grub-image.js';
export { buildEspImage, type BuildEspImageOptions, type EspFile, type EspImage } from './esp-image.js';
export { uefiBootFiles, type UefiBootFilesOptions } from './uefi-boot-files.js';
export {
  renderGrubMenu,
  defaultMenuEntries,
  type GrubMenu,
  type MenuEntry,
  type LinuxMenuEntry,
  type LocalDiskMenuEntry,
} from './grub-menu.js';
export { renderSearchConfig, grubQuote } from './grub-script.js';
export { debianBootFiles, requireBootFile, requireHybridMbr, type BootFileLocations } from './boot-files.js';
export {
  findImageBootFiles,
  requireImageBootFiles,
  firmwareBootFileKeys,
  bootFileDigests,
  type BootFileKey,
  type BootFirmware,
  type BootFileLayout,
  type BootFileOrigin,
  type ImageBootFiles,
  type ImageFirmwareBootFiles,
  type FindImageBootFilesOptions,
} from './image-boot-files.js';
export {
  chooseBootFiles,
  mediumFirmware,
  type BootFileChoice,
  type BootFileUse,
  type ChooseBootFilesOptions,
} from './choose-boot-files.js';
export { checkSecureBootFiles, type SecureBootFilesOptions } from './secure-boot-files.js';
export { parseSbatCsv, type SbatCheck, type SbatEntry, type ShimSbatLevel } from './sbat.js';
export {
  parsePeHeaders,
  readPeImage,
  type PeHeaders,
  type PeImageInfo,
  type PeSection,
} from './pe-image.js';
export {
  bootLoaderErrorCodes,
  BootLoaderError,
  type BootLoaderErrorCode,
  InvalidOptionsError,
  InputMissingError,
  BootFileMissingError,
  GrubModuleMissingError,
  SbatMismatchError,
  KernelUnsignedError,
  EspTooSmallError,
  BootFilesIncompleteError,
  type LackingBootFile,
} from './errors.js';
