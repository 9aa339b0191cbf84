export { readRpm, listRpm } from './read-rpm.js';
export { RpmError, rpmErrorCodes, type RpmErrorCode } from './errors.js';
export type { RpmSource } from './open-source.js';
export type * from './types.js';
export { formatDumpLine } from './dump-format.js';
