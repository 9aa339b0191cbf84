import type { Compressor } from './compression.js';

/** Details every distroforge error may carry besides its message. */
export interface ErrorDetails {
  /** What to do next, phrased for the user. */
  hint?: string;
  /** The offending file, if any. */
  path?: string;
  /** The offending value, if any (a field value, a package name, an option). */
  value?: unknown;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every error a distroforge package throws on purpose. `code` is stable across
 * releases (documented in each package README); messages may improve over time.
 */
export class DistroforgeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly path: string | undefined;
  readonly value: unknown;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = details.hint;
    this.path = details.path;
    this.value = details.value;
  }

  /** Message, path and hint as a user would want to read them on a terminal. */
  describe(): string {
    const lines = [`${this.code}: ${this.message}`];
    if (this.path !== undefined) lines.push(`  at: ${this.path}`);
    if (this.hint !== undefined) lines.push(`  hint: ${this.hint}`);
    return lines.join('\n');
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      hint: this.hint,
      path: this.path,
      value: this.value,
    };
  }
}

/** True for any error thrown on purpose by a distroforge package (across package copies). */
export function isDistroforgeError(error: unknown): error is DistroforgeError {
  return (
    error instanceof DistroforgeError ||
    (error instanceof Error && 'hint' in error && /^ERR_/.test(String((error as { code?: unknown }).code)))
  );
}

/** Stable error codes of this package (listed in the README). */
export const coreErrorCodes = [
  'ERR_USAGE',
  'ERR_TOOL_MISSING',
  'ERR_TOOL_VERSION',
  'ERR_TOOL_FAILED',
  'ERR_SOURCE_DATE_EPOCH',
  'ERR_LOG_FILE',
  'ERR_MANIFEST_INVALID',
  'ERR_FILE_READ',
  'ERR_FILE_CHANGED',
  'ERR_DECOMPRESS_CORRUPT',
  'ERR_DECOMPRESS_TRUNCATED',
  'ERR_PATH_ESCAPE',
  'ERR_PATH_LOOP',
  'ERR_PATH_NAME_TOO_LONG',
  'ERR_PATH_TOO_LONG',
  'ERR_USERNS_DISABLED',
  'ERR_USERNS_RESTRICTED',
  'ERR_SUBID_RANGE_MISSING',
  'ERR_USERNS_UNAVAILABLE',
  'ERR_USERNS_ID_UNMAPPED',
  'ERR_USERNS_CHOWN',
] as const;

export type CoreErrorCode = (typeof coreErrorCodes)[number];

// The hint an error of the code gets unless it is given a more specific one (a tool's install command).
const coreHints: Record<CoreErrorCode, string> = {
  ERR_USAGE: 'read the usage the bin prints after the message (or run it with --help)',
  ERR_TOOL_MISSING: 'install the tool with the command in the message, and make sure it is on PATH',
  ERR_TOOL_VERSION: 'upgrade the tool named in the message',
  ERR_TOOL_FAILED: "read the tool's log (path) for why it failed",
  ERR_SOURCE_DATE_EPOCH: 'set it to seconds since 1970, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)',
  ERR_LOG_FILE: 'make sure the directory exists and is writable',
  ERR_MANIFEST_INVALID: 'fix or regenerate the manifest (a manifest is JSON written by writeManifest())',
  ERR_FILE_READ: 'check that the file exists and is readable',
  ERR_FILE_CHANGED: 'something else truncated the file while it was hashed; build again',
  ERR_DECOMPRESS_CORRUPT: 'the data is damaged (or not what its name or header says): download or build it again',
  ERR_DECOMPRESS_TRUNCATED: 'the data ends early (an interrupted download or copy): download or build it again',
  ERR_PATH_ESCAPE:
    'a symlink in the root climbs above it with ..; remove it, or make it absolute (absolute targets resolve inside the root)',
  ERR_PATH_LOOP:
    'the root has a symlink loop (or a chain of more than 40 links) on this path; fix the link named in the message',
  ERR_PATH_NAME_TOO_LONG:
    'shorten the name to at most 255 bytes (UTF-8: accented letters take 2, most CJK characters 3)',
  ERR_PATH_TOO_LONG: 'use a shorter root directory (e.g. under /tmp), or a shallower tree',
  ERR_USERNS_DISABLED: 'enable user namespaces with the sysctl named in the message (and in /etc/sysctl.d/ to keep it)',
  ERR_USERNS_RESTRICTED:
    'allow user namespaces: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile with "userns,"',
  ERR_SUBID_RANGE_MISSING:
    'as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER (a range no other user has)',
  ERR_USERNS_UNAVAILABLE:
    'check that user namespaces are enabled and that newuidmap/newgidmap (package uidmap) are installed setuid root',
  ERR_USERNS_ID_UNMAPPED:
    'only ids 0..65535 exist in an image built in a user namespace; something outside the build may have changed the tree',
  ERR_USERNS_CHOWN:
    'read the message: the tree may be on a file system that refuses chown (e.g. NFS with root squash); build on a local disk',
};

/** Builds a core error with the default hint of its code unless one is given. */
export function coreError(
  code: CoreErrorCode,
  message: string,
  details: ErrorDetails = {},
): DistroforgeError & { readonly code: CoreErrorCode } {
  return new DistroforgeError(code, message, withHint(code, details)) as DistroforgeError & {
    readonly code: CoreErrorCode;
  };
}

function withHint(code: CoreErrorCode, details: ErrorDetails): ErrorDetails {
  return { ...details, hint: details.hint ?? coreHints[code] };
}

/**
 * A command line a bin cannot run: an unknown flag, a stray argument, a missing value. Exit code 2.
 * No default hint: the bin prints its usage right after the message.
 */
export class UsageError extends DistroforgeError {
  declare readonly code: 'ERR_USAGE';
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_USAGE', message, details);
  }
}

/** An external tool is not installed (or not on PATH). */
export class ToolMissingError extends DistroforgeError {
  declare readonly code: 'ERR_TOOL_MISSING';
  readonly tool: string;
  constructor(tool: string, install: string | undefined, details: ErrorDetails = {}) {
    super('ERR_TOOL_MISSING', `${tool} not found${install ? `: ${install}` : ''}`, {
      hint: install ? `install it with: ${install}` : `install ${tool} and make sure it is on PATH`,
      value: tool,
      ...details,
    });
    this.tool = tool;
  }
}

/** An external tool is present but older than a feature needs. */
export class ToolVersionError extends DistroforgeError {
  declare readonly code: 'ERR_TOOL_VERSION';
  constructor(tool: string, found: string, wanted: string, install: string | undefined) {
    super('ERR_TOOL_VERSION', `${tool} ${found} is too old: ${wanted} or newer is needed`, {
      hint: install ? `upgrade it: ${install}` : `upgrade ${tool}`,
      value: found,
    });
  }
}

/** An external tool ran and failed. Carries its command line, exit code and the tail of its log. */
export class ToolFailedError extends DistroforgeError {
  declare readonly code: 'ERR_TOOL_FAILED';
  readonly command: readonly string[];
  readonly exitCode: number | undefined;
  readonly logTail: string;
  constructor(command: readonly string[], exitCode: number | undefined, logTail: string, details: ErrorDetails = {}) {
    const shown = command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
    super(
      'ERR_TOOL_FAILED',
      `${command[0]} failed${exitCode === undefined ? '' : ` with exit code ${exitCode}`}: ${shown}${logTail ? `\n${logTail}` : ''}`,
      {
        ...details,
        hint: details.hint ?? (details.path ? `full log: ${details.path}` : coreHints.ERR_TOOL_FAILED),
      },
    );
    this.command = [...command];
    this.exitCode = exitCode;
    this.logTail = logTail;
  }
}

/**
 * Compressed data that does not decompress: damaged (`ERR_DECOMPRESS_CORRUPT`) or cut short
 * (`ERR_DECOMPRESS_TRUNCATED`). `value` is the compressor, `path` the origin; when an external tool
 * decoded it, `command`, `exitCode` and `logTail` say what it ran and answered.
 */
export class DecompressError extends DistroforgeError {
  declare readonly code: 'ERR_DECOMPRESS_CORRUPT' | 'ERR_DECOMPRESS_TRUNCATED';
  declare readonly value: Compressor;
  readonly compressor: Compressor;
  readonly command: readonly string[] | undefined;
  readonly exitCode: number | undefined;
  readonly logTail: string;

  constructor(
    compressor: Compressor,
    detail: string,
    details: ErrorDetails & {
      origin?: string | undefined;
      command?: readonly string[];
      exitCode?: number | undefined;
      logTail?: string;
    } = {},
  ) {
    const { origin, command, exitCode, logTail = '', ...rest } = details;
    // zlib, xz, zstd and bzip2 each word a cut-off input differently.
    const truncated = /unexpected end|truncated|premature end|incomplete|ends unexpectedly/i.test(
      `${detail}\n${logTail}`,
    );
    const code = truncated ? 'ERR_DECOMPRESS_TRUNCATED' : 'ERR_DECOMPRESS_CORRUPT';
    super(
      code,
      `${origin === undefined ? '' : `${origin}: `}${truncated ? 'truncated' : 'damaged'} ${compressor} data: ${detail}`,
      {
        ...withHint(code, rest),
        value: compressor,
        ...(origin === undefined ? {} : { path: origin }),
      },
    );
    this.compressor = compressor;
    this.command = command === undefined ? undefined : [...command];
    this.exitCode = exitCode;
    this.logTail = logTail;
  }
}

/**
 * A path that cannot be resolved inside a root (`resolveInRoot`): it would climb above it
 * (`ERR_PATH_ESCAPE`), follows more than 40 symlinks (`ERR_PATH_LOOP`, the kernel's ELOOP), or has
 * a name over 255 bytes or a host path over 4095 (`ERR_PATH_NAME_TOO_LONG`, `ERR_PATH_TOO_LONG`:
 * ENAMETOOLONG). `path` is the in-root path asked for; `value` the link that led there
 * (`/etc/x -> ../../y`), the long name or the long host path.
 */
export class RootPathError extends DistroforgeError {
  declare readonly code: 'ERR_PATH_ESCAPE' | 'ERR_PATH_LOOP' | 'ERR_PATH_NAME_TOO_LONG' | 'ERR_PATH_TOO_LONG';
  /** The root directory the path was resolved in. */
  readonly root: string;
  /** Byte length of the name or host path that is too long; undefined for the other codes. */
  readonly bytes: number | undefined;

  constructor(code: RootPathError['code'], message: string, details: ErrorDetails & { root: string; bytes?: number }) {
    const { root, bytes, ...rest } = details;
    super(code, message, withHint(code, rest));
    this.root = root;
    this.bytes = bytes;
  }
}
