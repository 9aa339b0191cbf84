import {
  DistroforgeError,
  optionIssuesMessage,
  type ErrorDetails,
  type OptionIssue,
  type OptionsErrorDetails,
} from '@distroforge/core';

/** Stable error codes of this package (listed in the README; core's tool codes pass through). */
export const squashfsErrorCodes = [
  'ERR_INVALID_OPTIONS',
  'ERR_SOURCE_NOT_DIRECTORY',
  'ERR_SQUASHFS_FEATURE',
  'ERR_MANIFEST_PATH_MISSING',
  'ERR_MANIFEST_MISMATCH',
  'ERR_EROFS_MANIFEST_UNSUPPORTED',
  'ERR_TOOL_OUTPUT',
] as const;

export type SquashfsErrorCode = (typeof squashfsErrorCodes)[number];

const hints: Record<SquashfsErrorCode, string> = {
  ERR_INVALID_OPTIONS: 'check the options against the README',
  ERR_SOURCE_NOT_DIRECTORY: 'pass the root directory to pack',
  ERR_SQUASHFS_FEATURE:
    'install squashfs-tools of the version named in the message (Debian trixie / bookworm-backports) or drop the feature',
  ERR_MANIFEST_PATH_MISSING:
    'create the file in the source tree, give the entry a type (dir, symlink+target, char, block, fifo, socket), or exclude it',
  ERR_MANIFEST_MISMATCH: 'remove the on-disk placeholder or fix the manifest entry',
  ERR_EROFS_MANIFEST_UNSUPPORTED:
    'mkfs.erofs 1.5 takes owners/modes/devices only from disk: build the tree as root with the manifest applied, or use createSquashfs',
  ERR_TOOL_OUTPUT: 'report this with the squashfs-tools version in use',
};

/** Base of every error this package throws on purpose: its code's hint unless it gives another. */
export class SquashfsError extends DistroforgeError {
  declare readonly code: SquashfsErrorCode;
  constructor(code: SquashfsErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { ...details, hint: details.hint ?? hints[code] });
  }
}

/** Options that fail validation (zod) or semantic rules; `value` names the (first) offending key, `issues` every problem. */
export class InvalidOptionsError extends SquashfsError {
  readonly issues: readonly OptionIssue[];
  constructor(message: string, details: OptionsErrorDetails = {}) {
    const { issues, ...rest } = details;
    super('ERR_INVALID_OPTIONS', message, rest);
    this.issues = issues ?? [{ key: typeof details.value === 'string' ? details.value : '', message }];
  }
}

/** The options error of `subject` (`createSquashfs`) naming every problem found. */
export function invalidOptions(subject: string): (issues: readonly OptionIssue[]) => InvalidOptionsError {
  return (issues) => new InvalidOptionsError(optionIssuesMessage(issues, subject), { value: issues[0]?.key, issues });
}

/** The found mksquashfs is too old for a feature the request needs (e.g. xattr pseudo definitions). */
export class SquashfsFeatureError extends SquashfsError {
  constructor(feature: string, found: string, needed: string, details: ErrorDetails = {}) {
    super('ERR_SQUASHFS_FEATURE', `${feature} needs squashfs-tools ${needed} or newer, found ${found}`, {
      hint: `install squashfs-tools >= ${needed} (Debian trixie / bookworm-backports) or drop the feature`,
      value: found,
      ...details,
    });
  }
}

/** A manifest entry names a path the source tree lacks and cannot be created from the entry alone. */
export class ManifestPathMissingError extends SquashfsError {
  constructor(path: string, details: ErrorDetails = {}) {
    super(
      'ERR_MANIFEST_PATH_MISSING',
      `manifest entry ${path} is not in the source tree and has no type that can be created`,
      { value: path, ...details },
    );
  }
}

/** The manifest says one thing about a path and the source tree another (type or symlink target). */
export class ManifestMismatchError extends SquashfsError {
  constructor(path: string, what: string, details: ErrorDetails = {}) {
    super('ERR_MANIFEST_MISMATCH', `manifest entry ${path} disagrees with the source tree: ${what}`, {
      value: path,
      ...details,
    });
  }
}

/** mkfs.erofs (erofs-utils 1.5) cannot apply per-file owners, device nodes or caps without root. */
export class ErofsManifestUnsupportedError extends SquashfsError {
  constructor(paths: readonly string[], details: ErrorDetails = {}) {
    const shown = paths.slice(0, 5).join(', ') + (paths.length > 5 ? `, ... (${paths.length} in all)` : '');
    super(
      'ERR_EROFS_MANIFEST_UNSUPPORTED',
      `mkfs.erofs cannot apply these manifest entries that the source tree does not already match: ${shown}`,
      { value: paths, ...details },
    );
  }
}

/** A tool's output could not be understood (listing or superblock info). */
export class ToolOutputError extends SquashfsError {
  constructor(tool: string, line: string, details: ErrorDetails = {}) {
    super('ERR_TOOL_OUTPUT', `cannot parse ${tool} output: ${JSON.stringify(line)}`, { value: line, ...details });
  }
}
