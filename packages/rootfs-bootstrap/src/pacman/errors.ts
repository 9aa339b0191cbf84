import type { ErrorDetails } from '@distroforge/core';
import { BootstrapError } from '../errors.js';

/** Every code the pacman source throws on purpose, each with its hint. */
export const pacmanErrorHints = {
  ERR_PACMAN_DB_FORMAT: 'the sync database is corrupt, truncated or not a pacman database; fetch it again or check the mirror',
  ERR_PACMAN_DB_PATH: 'the sync database names a member outside its NAME-VERSION/ folders: a broken or hostile repository; check the mirror',
  ERR_PACMAN_DESC_SYNTAX: 'a desc file (sync database or package metadata) is malformed; regenerate the repository database or check the mirror',
  ERR_PACMAN_UNSATISFIABLE: 'no package of the configured repositories provides it: check the name, the repositories and their order',
  ERR_PACMAN_CONFLICT: 'two requested packages conflict; request only one of them',
} as const;

export type PacmanErrorCode = keyof typeof pacmanErrorHints;
export const pacmanErrorCodes = Object.keys(pacmanErrorHints) as PacmanErrorCode[];

/** Base of the pacman source's errors: a stable code, the offending path or value and a hint. */
export class PacmanError extends BootstrapError {
  constructor(code: PacmanErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { hint: pacmanErrorHints[code], ...details });
  }
}

/** A sync database that does not decompress, is not a tar archive, or declares impossible sizes. */
export class PacmanDatabaseFormatError extends PacmanError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_DB_FORMAT', message, details);
  }
}

/** A database member named outside `NAME-VERSION/FILE` (absolute, `..`, nested deeper). */
export class PacmanDatabasePathError extends PacmanError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_DB_PATH', message, details);
  }
}

/** A desc file without a required field, with a number that is not one, or naming another package than its folder. */
export class PacmanDescSyntaxError extends PacmanError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_DESC_SYNTAX', message, details);
  }
}

/** A request or dependency no package satisfies; `chain` leads from the request to it. */
export class PacmanUnsatisfiableError extends PacmanError {
  readonly chain: readonly string[];
  constructor(chain: readonly string[], reason: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_UNSATISFIABLE', `cannot satisfy ${chain.join(' -> ')}: ${reason}`, { value: chain[chain.length - 1], ...details });
    this.chain = [...chain];
  }
}

/** Two packages of the transaction conflict (pacman: "unresolvable package conflicts detected"). */
export class PacmanConflictError extends PacmanError {
  constructor(a: string, b: string, reason: string) {
    super('ERR_PACMAN_CONFLICT', `${a} and ${b} are in conflict (${reason})`, { value: [a, b] });
  }
}
