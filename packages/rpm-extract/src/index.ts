export { readRpm, listRpm } from './read-rpm.js';
export { extractRpm, extractOptionsSchema, type ExtractOptions, type ExtractResult } from './extract-rpm.js';
export { verifyRpm, verifyOptionsSchema, type VerifyOptions, type VerifyResult } from './verify-rpm.js';
export type { DigestCheck } from './digest-checks.js';
export {
  toCoreManifest,
  idResolver,
  idResolverFromRoot,
  parseIdFile,
  type RpmManifest,
  type RpmManifestEntry,
  type IdResolver,
} from './rpm-manifest.js';
export { formatDumpLine } from './dump-format.js';
export { comparisonOf } from './dependencies.js';
export { RpmError, rpmErrorCodes, type RpmErrorCode } from './errors.js';
export type { RpmSource } from './open-source.js';
export type * from './types.js';
