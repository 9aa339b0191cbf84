export { compareBytewise } from './byte-order.js';
export {
  DistroforgeError,
  isDistroforgeError,
  coreErrorCodes,
  coreError,
  ToolMissingError,
  ToolVersionError,
  ToolFailedError,
  UsageError,
  type ErrorDetails,
  type CoreErrorCode,
} from './errors.js';
export { parseOptions, optionIssuesMessage, type OptionIssue, type OptionsErrorDetails } from './parse-options.js';
export { findTool, clearToolCache, which, compareVersions, type ToolSpec, type FoundTool } from './find-tool.js';
export { knownTools } from './known-tools.js';
export { useToolVersionCache } from './tool-version-cache.js';
export { useFileDigestCache } from './file-digest-cache.js';
export { sourceDateEpoch } from './source-date-epoch.js';
export { writeAtomically, type AtomicWriteOptions } from './write-atomically.js';
export {
  manifestSchema,
  manifestEntrySchema,
  emptyManifest,
  mergeManifest,
  manifestLookup,
  canonicalManifestPath,
  readManifest,
  writeManifest,
  type Manifest,
  type ManifestEntry,
} from './manifest.js';
export { fileTypeBits, fileTypeOfMode, type FileType } from './file-type-bits.js';
export { distroforgeCacheRoot } from './cache-root.js';
export { sha256File } from './sha256-file.js';
export { cachedArtifact, type CachedArtifact } from './artifact-cache.js';
export { fileStamp, directoryStamp } from './file-stamp.js';
export { byRecentUse, leastRecentlyUsed } from './least-recently-used.js';
export { withoutFsync } from './without-fsync.js';
export { fileDataRanges, parseFilefrag, type ByteRange } from './file-data-ranges.js';
export { runLogged, logTail, type RunLoggedOptions } from './run-logged.js';
export { binErrorExit } from './bin-error-exit.js';
export { runSubcommandBin, type BinIo } from './run-bin.js';
export {
  parseCommandLine,
  parseSubcommandLine,
  unknownFlagError,
  flagSpellings,
  type CommandLineSpec,
  type SubcommandLineSpec,
  type FlagSpec,
  type FlagValues,
  type ParsedCommandLine,
} from './command-line.js';
export { closestWord } from './closest-word.js';
export { exitOnBrokenPipe, brokenPipeExitCode } from './exit-on-broken-pipe.js';
export * from './user-namespace/index.js';
export {
  compressors,
  compressorMagicBytes,
  sniffCompressor,
  compressionOfFileName,
  type Compressor,
  type Compression,
} from './compression.js';
export { decompress, decompressFile, type DecompressOptions, type ByteChunks } from './decompress.js';
export {
  resolveInRoot,
  resolveInRootSync,
  maxSymlinkHops,
  nameMaxBytes,
  pathMaxBytes,
  type ResolveInRootOptions,
} from './resolve-in-root.js';
export { DecompressError, RootPathError } from './errors.js';
export { listTree } from './list-tree.js';
