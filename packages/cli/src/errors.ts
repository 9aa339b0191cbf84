import { DistroforgeError, type ErrorDetails } from '@distroforge/core';
import type { ScriptPhase } from './profile/customization-schema.js';

/**
 * Stable error codes of the distroforge command itself (listed in the README's error table); the
 * packages' codes (ERR_TOOL_*, ERR_BOOTSTRAP_*, ERR_RPM_*, ...) pass through unchanged.
 */
export const cliErrorCodes = [
  'ERR_USAGE',
  'ERR_PROFILE_INVALID',
  'ERR_PROFILE_SCRIPT_FAILED',
  'ERR_PROFILE_SCRIPT_VIEW',
  'ERR_SOURCE_UNSUPPORTED',
  'ERR_OVERLAY_UNSUPPORTED',
  'ERR_KERNEL_MISSING',
  'ERR_LOCK_MISSING',
  'ERR_LOCK_INVALID',
  'ERR_LOCK_MISMATCH',
  'ERR_OUTPUT_DIRECTORY',
  'ERR_OUTPUT_EXISTS',
  'ERR_STATE_LOCKED',
  'ERR_BUILD_NOT_REPRODUCIBLE',
  'ERR_TEST_FAILED',
  'ERR_INSPECT_UNKNOWN_FORMAT',
  'ERR_INSPECT_UNSUPPORTED',
  'ERR_INSPECT_UNREADABLE',
  'ERR_INVENTORY_UNREADABLE',
  'ERR_REPORT_NO_BUILD',
  'ERR_INTERRUPTED',
] as const;

export type CliErrorCode = (typeof cliErrorCodes)[number];

const hints: Record<CliErrorCode, string> = {
  ERR_USAGE: 'see distroforge COMMAND --help',
  ERR_PROFILE_INVALID: 'fix the profile at the place named; the keys are documented in the README',
  ERR_PROFILE_SCRIPT_FAILED: "the script's whole output is in the log named; nothing was published",
  ERR_PROFILE_SCRIPT_VIEW: 'make it a directory (or remove it) before the scripts run',
  ERR_SOURCE_UNSUPPORTED: 'use a source type that supports it (the message says which)',
  ERR_OVERLAY_UNSUPPORTED: 'replace the link with a regular file',
  ERR_KERNEL_MISSING: 'add a kernel package to the profile (kernel.package, e.g. linux-image-amd64)',
  ERR_LOCK_MISSING: 'write one with: distroforge lock PROFILE',
  ERR_LOCK_INVALID: 'regenerate it with distroforge lock',
  ERR_LOCK_MISMATCH: 'run distroforge lock to accept the new versions, or pin the mirror (e.g. snapshot.debian.org)',
  ERR_OUTPUT_DIRECTORY: 'name a directory of its own, e.g. --out PROFILE/out (the default) or a new directory',
  ERR_OUTPUT_EXISTS: 'move it away, or build into another directory with --out DIR',
  ERR_STATE_LOCKED: 'wait for the other build of this profile to finish',
  ERR_BUILD_NOT_REPRODUCIBLE:
    "diffoscope each differing output against the second build's copy, kept in the directory the error names; set SOURCE_DATE_EPOCH if it is not set",
  ERR_TEST_FAILED: 'see the console lines above and the console log',
  ERR_INSPECT_UNKNOWN_FORMAT:
    'inspect understands .rpm, .deb, pacman packages and sync databases, initramfs (cpio, optionally gzip/zstd/xz), squashfs, erofs, ISO 9660 and GPT disk images',
  ERR_INSPECT_UNSUPPORTED: "use the format's own tool for now (the message names it)",
  ERR_INSPECT_UNREADABLE: 'check that the file is complete and readable',
  ERR_INVENTORY_UNREADABLE:
    'the root must hold the package database (dpkg, rpm or pacman) its packages were installed with',
  ERR_REPORT_NO_BUILD: 'build the profile first (distroforge build PROFILE), with the same --out',
  ERR_INTERRUPTED: 'run the same command again: finished stages are cached',
};

/** Base of every error the command throws on purpose: its code's hint unless it gives another. */
export class CliError extends DistroforgeError {
  declare readonly code: CliErrorCode;
  constructor(code: CliErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { ...details, hint: details.hint ?? hints[code] });
  }
}

/** A profile file breaks the schema or cannot be read. `path` is `file:line:column`. */
export class ProfileError extends CliError {
  declare readonly code: 'ERR_PROFILE_INVALID';
  readonly file: string;
  readonly line: number | undefined;
  readonly key: string | undefined;
  constructor(
    file: string,
    line: number | undefined,
    column: number | undefined,
    key: string | undefined,
    message: string,
    hint?: string,
  ) {
    const where = line === undefined ? file : `${file}:${line}:${column ?? 1}`;
    super('ERR_PROFILE_INVALID', `${where}: ${key ? `${key}: ` : ''}${message}`, {
      path: where,
      value: key,
      ...(hint === undefined ? {} : { hint }),
    });
    this.file = file;
    this.line = line;
    this.key = key;
  }
}

/** A profile script failed: its phase, its path, how it ended, the end of its output and the log that has all of it. */
export class ProfileScriptError extends CliError {
  declare readonly code: 'ERR_PROFILE_SCRIPT_FAILED';
  constructor(
    readonly phase: ScriptPhase,
    readonly script: string,
    readonly exitCode: number | undefined,
    readonly outputTail: string,
    logFile: string,
  ) {
    super(
      'ERR_PROFILE_SCRIPT_FAILED',
      `${phase} script ${script} ${exitCode === undefined ? 'was stopped' : `exited with status ${exitCode}`}; its last lines:\n${outputTail}`,
      {
        path: logFile,
        value: { phase, script, exitCode },
        hint: `the script's whole output is in ${logFile}; nothing was published`,
      },
    );
  }
}
