export { createSquashfs, type CreateSquashfsResult } from './create-squashfs.js';
export { listSquashfs, parseListLine, type SquashfsEntry, type SquashfsEntryType } from './list-squashfs.js';
export { extractSquashfs, type ExtractSquashfsOptions } from './extract-squashfs.js';
export { squashfsInfo, type SquashfsInfo } from './squashfs-info.js';
export { createErofs, type CreateErofsResult } from './create-erofs.js';
export {
  createSquashfsOptionsSchema,
  createErofsOptionsSchema,
  presets,
  squashfsAlgorithms,
  type CreateSquashfsOptions,
  type CreateErofsOptions,
  type Compression,
  type PresetName,
  type ProgressEvent,
  type SquashfsAlgorithm,
} from './options.js';
export { encodeFileCapabilities } from './file-capabilities.js';
export {
  squashfsErrorCodes,
  SquashfsError,
  type SquashfsErrorCode,
  InvalidOptionsError,
  SquashfsFeatureError,
  ManifestPathMissingError,
  ManifestMismatchError,
  ErofsManifestUnsupportedError,
  ToolOutputError,
} from './errors.js';
