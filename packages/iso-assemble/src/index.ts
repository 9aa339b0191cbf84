export { assembleIso, type AssembledIso } from './assemble-iso.js';
export {
  inspectIso,
  parseXorrisoReport,
  type IsoInspection,
  type IsoFileEntry,
  type ElToritoEntry,
  type MbrPartition,
  type GptPartition,
} from './inspect-iso.js';
export {
  assembleIsoOptionsSchema,
  normaliseIsoOptions,
  isoPaths,
  espVolumeLabel,
  type AssembleIsoOptions,
  type NormalisedIsoOptions,
} from './options.js';
export {
  InvalidOptionsError,
  InputMissingError,
  ToolOutputError,
  NotAnIsoError,
  IsoError,
  isoErrorCodes,
  type IsoErrorCode,
} from './errors.js';
