export {
  profileSchema,
  firmwareSchema,
  kernelPackageOf,
  type Profile,
  type ProfileInput,
} from './profile/profile-schema.js';
export { loadProfile, parseProfile, parsePackageList, type LoadedProfile } from './profile/load-profile.js';
export { CliError, cliErrorCodes, ProfileError, ProfileScriptError, type CliErrorCode } from './errors.js';
export { profileJsonSchema } from './profile/profile-json-schema.js';
export { profileReferenceMarkdown } from './profile/profile-reference.js';
export { main, mainCommand } from './main.js';
export { StageCache, type StageRun, type StageResult } from './engine/stage-cache.js';
export { hashTree, hashFile } from './engine/hash-tree.js';
export { Reporter, progressLine, type ReporterEvent, type OutputMode } from './output/reporter.js';
export { exitCodes, exitCodeFor } from './exit-codes.js';
export { initProfile, type Template } from './commands/init.js';
export { cleanProfile } from './commands/clean.js';
export {
  inspectFile,
  detectFileKind,
  type Inspection,
  type FileKind,
  type HumanReport,
  type Table,
  type Column,
} from './commands/inspect.js';
export { bootChains, testProfile, type TestRun } from './pipeline/test-profile.js';
export { bootModes, type BootMode, type Medium } from './pipeline/boot-test.js';
export { bootStages, formatBootStages, type BootStage } from './pipeline/boot-stages.js';
export { locatingUnsatisfiable } from './pipeline/locate-unsatisfiable.js';
export {
  resolveLock,
  writeLock,
  readLock,
  lockDifferences,
  assertLocked,
  LOCK_FILE,
  type LockFile,
} from './pipeline/lock-file.js';
export { checkReproducible, type ReproducibilityCheck } from './pipeline/check-reproducible.js';
export { buildProfile, type BuildReport, type BuildOptions } from './pipeline/build-profile.js';
export type { BootFilesReport } from './pipeline/stage-boot-files.js';
export type { BuildScope } from './pipeline/build-stages.js';
export { scriptEnvironment, PROFILE_VIEW } from './pipeline/stage-scripts.js';
export { SCRIPT_PHASES, type ScriptPhase } from './profile/customization-schema.js';
