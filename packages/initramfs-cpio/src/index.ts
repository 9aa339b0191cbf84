export type { CpioEntry, CpioEntryType } from './cpio-entry.js';
export { encodeNewcHeader, type NewcHeaderFields } from './encode-newc-header.js';
export { writeCpio, type WriteCpioOptions } from './write-cpio.js';
export { entriesFromDirectory, type DirectoryInputOptions } from './entries-from-directory.js';
export { entriesFromSpec, parseSpec, type SpecInputOptions } from './entries-from-spec.js';
export { compressStream, type Compression } from './compress.js';
export {
  packCpio,
  writeInitramfs,
  type PackCpioOptions,
  type WriteInitramfsOptions,
  type CpioInput,
  type CpioSegment,
  type PackResult,
} from './pack-cpio.js';
export {
  initramfsErrorCodes,
  InitramfsError,
  InvalidOptionsError,
  type InitramfsErrorCode,
  CpioFieldOverflowError,
  CpioEntryError,
  CpioSourceChangedError,
  CpioSpecError,
  CpioCorruptError,
  CpioTruncatedError,
  CpioUnsafePathError,
  CpioLimitError,
  CpioNameTooLongError,
  CpioTargetNotEmptyError,
  CpioExtractError,
  KernelModuleNotFoundError,
  KernelModulesDirError,
  BusyboxNotStaticError,
  LiveArgInvalidError,
  InitramfsCompressionUnsupportedError,
  KernelConfigError,
} from './errors.js';
export { readCpio, listCpio, type CpioListEntry, type CpioReadEntry, type CpioSource } from './read-cpio.js';
export { extractCpio, type ExtractResult } from './extract-cpio.js';
export { detectCompression } from './detect-compression.js';
export {
  resolveModuleClosure,
  kernelModuleEntries,
  MODULE_INDEX_FILES,
  type ModuleClosureOptions,
  type ModuleClosure,
  type KernelModule,
} from './kernel-modules.js';
export { closureModuleIndex, type ModuleIndexInput } from './closure-module-index.js';
export { defaultInitScript, shellQuote, type DefaultInitOptions } from './default-init.js';
export {
  buildBusyboxInitramfs,
  type BusyboxInitramfsOptions,
  type BusyboxInitramfsResult,
} from './busybox-initramfs.js';
export { liveInitScript, LIVE_MODULES, type LiveInitOptions } from './live-init.js';
export { liveKernelArgs, parseLiveKernelArgs, withLiveKernelArgs, type LiveKernelArgs } from './live-kernel-args.js';
export { buildLiveInitramfs, type LiveInitramfsOptions } from './live-initramfs.js';
export { combineEntries } from './combine-entries.js';
export {
  chooseInitramfsCompression,
  initramfsCompressionFromConfig,
  kernelConfigCandidates,
  parseKernelConfig,
  INITRAMFS_COMPRESSION_PREFERENCE,
  INITRAMFS_FALLBACK,
  type ChooseInitramfsCompressionOptions,
  type InitramfsCompression,
  type InitramfsCompressionChoice,
} from './choose-initramfs-compression.js';
