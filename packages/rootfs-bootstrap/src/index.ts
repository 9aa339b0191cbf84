export { compareDebVersions, parseDebVersion, type DebVersion } from './apt/version.js';
export { parseControlFile, controlField, formatControlParagraph, type ControlParagraph } from './apt/control-file.js';
export {
  parseRelations,
  formatRelation,
  type Relation,
  type RelationField,
  type RelationOperator,
} from './relations.js';
export {
  parseDeb822Sources,
  parseOneLineSources,
  readHostAptSources,
  repositoriesForSuite,
  type AptRepository,
} from './apt/sources-list.js';
export {
  buildUniverse,
  type PackageCandidate,
  type PackageUniverse,
  type VersionComparator,
} from './package-candidate.js';
export {
  resolveDependencies,
  installOrder,
  type ResolveRequest,
  type ResolvedPackage,
} from './resolve-dependencies.js';
export { VARIANTS, variantBaseNames, type Variant } from './apt/variant.js';
export * from './errors.js';
export { bootstrapRootfs, type BootstrapResult } from './bootstrap-rootfs.js';
export type {
  PackageSource,
  SourceIndex,
  SourceIndexRequest,
  SourceInstallRequest,
  MaintainerScripts,
  InstallReport,
  LocalFileFacts,
} from './package-source.js';
export { packageFileFormat, PACKAGE_FILE_LABEL, type PackageFileFormat } from './local-packages.js';
export { pacmanArchiveKind } from './pacman/archive-kind.js';
export { readPackageFileInfo, type PackageFileInfo } from './package-file-info.js';
export { checkReleaseAcceptable, type ReleaseRules } from './apt/release-acceptance.js';
export {
  aptSource,
  type AptSourceOptions,
  type AptPackageSource,
  type AptSourceIndex,
  type ResolvedRelease,
} from './apt/source.js';
export { fetchPackages, type FetchPackagesOptions } from './package-cache.js';
export { resolveRootfs, type ResolveResult, type ResolvedRootfsPackage } from './resolve-rootfs.js';
export {
  bootstrapOptionsSchema,
  resolveOptionsSchema,
  hostArchitecture,
  type BootstrapOptions,
  type ResolveOptions,
  type BootstrapProgress,
} from './options.js';
export { defaultCacheDir, type DownloadProgress } from './package-cache.js';
export { readArMembers, type ArMember } from './apt/deb/ar-archive.js';
export { unpackDeb, type UnpackResult } from './apt/deb/unpack.js';
export { listDeb, type DebListing, type DebFileEntry } from './apt/deb/list.js';
export {
  readDebControlArchive,
  type DebControlArchive,
  type DebControlMember,
} from './apt/deb/control-archive.js';
export type { DebMemberType } from './apt/deb/member-type.js';
export {
  rpmvercmp,
  compareRpmVersions,
  parseRpmEvr,
  formatRpmEvr,
  rpmRangesOverlap,
  type RpmEvr,
  type RpmOperator,
  type RpmRange,
} from './rpm/version.js';
export { parseRpmDep, formatRpmDep, type RpmDep } from './rpm/rich-deps.js';
export {
  rpmCandidateFromHeader,
  type RpmCandidate,
  type RpmPackageMeta,
  type RpmProvide,
  type RpmRequire,
} from './rpm/candidate.js';
export { resolveRpmDependencies, rpmInstallOrder, type RpmResolveRequest } from './rpm/resolve.js';
export { rpmSource } from './rpm/source-from-spec.js';
export {
  parseRpmSourceSpec,
  type RpmSourceSpec,
  type RpmRepository,
  type RpmPackageSource,
  type RpmSourceIndex,
  type RpmSourceOptions,
} from './rpm/source.js';
export {
  resolveRpmRootfs,
  bootstrapRpmRootfs,
  type RpmResolveResult,
  type RpmBootstrapResult,
} from './rpm/bootstrap.js';
export {
  rpmResolveOptionsSchema,
  rpmBootstrapOptionsSchema,
  hostRpmArchitecture,
  type RpmResolveOptions,
  type RpmBootstrapOptions,
} from './rpm/options.js';
export { runRpmScriptlets, type RpmScriptletReport } from './rpm/scriptlets.js';
export {
  parseComps,
  mergeComps,
  expandGroupIncludes,
  COMPS_PACKAGE_TYPES,
  type CompsData,
  type CompsGroup,
  type CompsEnvironment,
  type CompsPackageReq,
  type CompsPackageType,
  type GroupSelection,
} from './rpm/comps-groups.js';
export { readGpgKeys, verifyDetached, type GpgVerification } from './gpg-verify.js';
export { checkRpmSignature, type RpmSignatureCheck } from './rpm/signature-check.js';
export type { RepomdGpgCheck, RpmRepositoryIndex } from './rpm/repo-metadata.js';
export { comparePacmanVersions, compareVersionSegments, parsePacmanEvr, type PacmanEvr } from './pacman/vercmp.js';
export {
  parsePacmanDependency,
  formatPacmanDependency,
  packageSatisfies,
  versionSatisfies,
  type PacmanDependency,
  type PacmanDepOperator,
  type PacmanProvider,
} from './pacman/dependency.js';
export {
  parsePacmanSyncDatabase,
  readPacmanSyncDatabaseFile,
  type PacmanSyncDatabase,
  type ReadSyncDatabaseOptions,
} from './pacman/sync-database.js';
export type { PacmanPackageInfo } from './pacman/package-info.js';
export { resolvePacmanTargets, type PacmanResolution } from './pacman/resolve.js';
export {
  PacmanError,
  PacmanDatabaseFormatError,
  PacmanDatabasePathError,
  PacmanDescSyntaxError,
  PacmanUnsatisfiableError,
  PacmanConflictError,
  PacmanPackageFormatError,
  PacmanUnsafePathError,
  PacmanScriptletError,
  PacmanHookError,
  PacmanHookSyntaxError,
  pacmanErrorCodes,
  pacmanErrorHints,
  type PacmanErrorCode,
} from './pacman/errors.js';
export {
  bootstrapPacman,
  type PacmanBootstrapResult,
  type PacmanInstalledPackage,
} from './pacman/install/bootstrap.js';
export {
  resolvePacmanRootfs,
  type PacmanRootfsResolution,
  type PacmanResolvedPackage,
} from './pacman/install/resolve-rootfs.js';
export {
  pacmanBootstrapOptionsSchema,
  pacmanResolveOptionsSchema,
  pacmanRepositorySchema,
  type PacmanBootstrapOptions,
  type PacmanResolveOptions,
  type PacmanRepository,
  type PacmanVerify,
  type PacmanVerifyRequest,
  type PacmanVerifyResult,
} from './pacman/install/options.js';
export {
  readPacmanPackage,
  readPacmanPackageMetadata,
  unpackPacmanPackage,
  type PacmanPackageContents,
  type PacmanPackageMetadata,
  type PacmanUnpackResult,
  type ReadPacmanPackageOptions,
  type UnpackPacmanOptions,
} from './pacman/install/package-archive.js';
export { parsePkgInfo, type PacmanPkgInfo } from './pacman/install/pkginfo.js';
export {
  localDesc,
  PACMAN_LOCAL_DB,
  ALPM_DB_VERSION,
  type LocalDatabaseEntry,
  type PacmanInstallReason,
  type PacmanValidation,
} from './pacman/install/local-database.js';
export {
  installPacmanTransaction,
  type PacmanTransactionPackage,
  type PacmanTransactionOptions,
  type PacmanTransactionReport,
} from './pacman/install/transaction.js';
export {
  parseAlpmHook,
  loadAlpmHooks,
  hookMatches,
  type AlpmHook,
  type AlpmHookTrigger,
} from './pacman/install/alpm-hooks.js';
export {
  loadPacmanKeyring,
  type PacmanKeyring,
  type PacmanOwnerTrust,
  type LoadPacmanKeyringOptions,
} from './pacman/verify/load-keyring.js';
export {
  computePacmanKeyTrust,
  pacmanKeyTrust,
  type PacmanKeyTrust,
  type PacmanKeyValidity,
  type PacmanTrustOptions,
} from './pacman/verify/key-trust.js';
export {
  verifyPacmanSignature,
  verifyPacmanPackage,
  type PacmanSigLevel,
  type PacmanVerifyOptions,
  type PacmanSignatureCheck,
  type PacmanSigner,
} from './pacman/verify/verify-signature.js';
export {
  PacmanKeyringError,
  PacmanSignatureError,
  pacmanVerifyErrorCodes,
  pacmanVerifyErrorHints,
  type PacmanVerifyErrorCode,
  type PacmanSignatureErrorCode,
} from './pacman/verify/errors.js';
export { pacmanSignatureVerifier, type PacmanVerifierOptions } from './pacman/verify/verifier.js';
export {
  loadRpmTransaction,
  installRpmTransaction,
  type RpmTransactionMember,
  type RpmTransactionOptions,
  type RpmTransactionResult,
  type RpmScriptletEvent,
} from './rpm/transaction.js';
export { findRpmFileConflicts, rpmFilesIdentical, type RpmFileConflict } from './rpm/file-conflicts.js';
export {
  readRpmTriggers,
  DEFAULT_FILE_TRIGGER_PRIORITY,
  type RpmTrigger,
  type RpmFileTrigger,
} from './rpm/triggers.js';
export { writeScratchRpmdb, detectRpmdbFormat, type RpmdbReport, type ScratchRpmdb } from './rpm/rpmdb.js';
