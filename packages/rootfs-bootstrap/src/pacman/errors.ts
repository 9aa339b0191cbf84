import type { ErrorDetails } from '@distroforge/core';
import { BootstrapError } from '../errors.js';

/** Every code the pacman source throws on purpose, each with its hint. */
export const pacmanErrorHints = {
  ERR_PACMAN_DB_FORMAT:
    'the sync database is corrupt, truncated or not a pacman database; fetch it again or check the mirror',
  ERR_PACMAN_DB_PATH:
    'the sync database names a member outside its NAME-VERSION/ folders: a broken or hostile repository; check the mirror',
  ERR_PACMAN_DESC_SYNTAX:
    'a desc file (sync database or package metadata) is malformed; regenerate the repository database or check the mirror',
  ERR_PACMAN_UNSATISFIABLE:
    'no package of the configured repositories provides it: check the name, the repositories and their order',
  ERR_PACMAN_CONFLICT: 'two requested packages conflict; request only one of them',
  ERR_PACMAN_PACKAGE_FORMAT:
    'the package file is corrupt, truncated or not a pacman package (.PKGINFO missing or malformed); delete it from the cache and fetch it again, or check the repository',
  ERR_PACMAN_UNSAFE_PATH:
    'the package is malicious or corrupt: a member would land outside the target (absolute, .., or through a symlink); nothing of it was installed',
  ERR_PACMAN_SCRIPTLET_FAILED:
    "a package's .INSTALL function failed in the image root: read the log tail (path is the log); pass strictScripts: false to report it and go on, as pacman does",
  ERR_PACMAN_HOOK_FAILED:
    'an alpm hook failed in the image root or its Depends are not installed: read the log tail (path is the log); mask the hook (a /dev/null symlink of its name in /etc/pacman.d/hooks) or pass strictScripts: false, as pacman does (a PreTransaction hook with AbortOnFail always stops)',
  ERR_PACMAN_HOOK_SYNTAX:
    'an alpm hook file is malformed (unknown section or key, missing Trigger field, Exec or When); fix it or mask it with a /dev/null symlink of its name in /etc/pacman.d/hooks',
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
  readonly reason: string;
  constructor(chain: readonly string[], reason: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_UNSATISFIABLE', `cannot satisfy ${chain.join(' -> ')}: ${reason}`, {
      value: chain[chain.length - 1],
      ...details,
    });
    this.chain = [...chain];
    this.reason = reason;
  }
}

/** Two packages of the transaction conflict (pacman: "unresolvable package conflicts detected"). */
export class PacmanConflictError extends PacmanError {
  constructor(a: string, b: string, reason: string) {
    super('ERR_PACMAN_CONFLICT', `${a} and ${b} are in conflict (${reason})`, { value: [a, b] });
  }
}

/** A package file that does not decompress, is not a tar archive, lacks or garbles `.PKGINFO`, or is not the package the database names. */
export class PacmanPackageFormatError extends PacmanError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_PACKAGE_FORMAT', message, details);
  }
}

/** A package member named absolute, with `..`, or landing outside the target through a symlink. */
export class PacmanUnsafePathError extends PacmanError {
  constructor(file: string, member: string, details: ErrorDetails = {}) {
    super(
      'ERR_PACMAN_UNSAFE_PATH',
      `${file}: member ${JSON.stringify(member.slice(0, 200))} would land outside the target`,
      { path: file, value: member.slice(0, 4095), ...details },
    );
  }
}

/** A `.INSTALL` function (`pre_install`, `post_install`) exited non-zero; `logTail` holds its last output. */
export class PacmanScriptletError extends PacmanError {
  readonly package: string;
  readonly scriptlet: string;
  readonly logTail: string;
  constructor(pkg: string, scriptlet: string, logTail: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_SCRIPTLET_FAILED', `${pkg}: ${scriptlet} failed\n${logTail}`, {
      value: `${pkg} ${scriptlet}`,
      ...details,
    });
    this.package = pkg;
    this.scriptlet = scriptlet;
    this.logTail = logTail;
  }
}

/** An alpm hook's Exec failed, or its Depends are not installed; `logTail` holds its last output. */
export class PacmanHookError extends PacmanError {
  readonly hook: string;
  readonly logTail: string;
  constructor(hook: string, reason: string, logTail: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_HOOK_FAILED', `hook ${hook}: ${reason}${logTail ? `\n${logTail}` : ''}`, {
      value: hook,
      ...details,
    });
    this.hook = hook;
    this.logTail = logTail;
  }
}

/** An alpm hook file pacman would refuse to parse. */
export class PacmanHookSyntaxError extends PacmanError {
  constructor(file: string, message: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_HOOK_SYNTAX', `${file}: ${message}`, { path: file, ...details });
  }
}
