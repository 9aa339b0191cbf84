import { DistroforgeError, type ErrorDetails } from '@distroforge/core';

/** Options that fail validation (zod) or semantic rules; `value` names the offending key. */
export class InvalidOptionsError extends DistroforgeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_INVALID_OPTIONS', message, { hint: 'check the options against the README', ...details });
  }
}

/** The found mksquashfs is too old for a feature the request needs (e.g. xattr pseudo definitions). */
export class SquashfsFeatureError extends DistroforgeError {
  constructor(feature: string, found: string, needed: string, details: ErrorDetails = {}) {
    super('ERR_SQUASHFS_FEATURE', `${feature} needs squashfs-tools ${needed} or newer, found ${found}`, {
      hint: `install squashfs-tools >= ${needed} (Debian trixie / bookworm-backports) or drop the feature`,
      value: found,
      ...details,
    });
  }
}

/** A manifest entry names a path the source tree lacks and cannot be created from the entry alone. */
export class ManifestPathMissingError extends DistroforgeError {
  constructor(path: string, details: ErrorDetails = {}) {
    super('ERR_MANIFEST_PATH_MISSING', `manifest entry ${path} is not in the source tree and has no type that can be created`, {
      hint: 'create the file in the source tree, give the entry a type (dir, symlink+target, char, block, fifo, socket), or exclude it',
      value: path,
      ...details,
    });
  }
}

/** The manifest says one thing about a path and the source tree another (type or symlink target). */
export class ManifestMismatchError extends DistroforgeError {
  constructor(path: string, what: string, details: ErrorDetails = {}) {
    super('ERR_MANIFEST_MISMATCH', `manifest entry ${path} disagrees with the source tree: ${what}`, {
      hint: 'remove the on-disk placeholder or fix the manifest entry',
      value: path,
      ...details,
    });
  }
}

/** mkfs.erofs (erofs-utils 1.5) cannot apply per-file owners, device nodes or caps without root. */
export class ErofsManifestUnsupportedError extends DistroforgeError {
  constructor(paths: readonly string[], details: ErrorDetails = {}) {
    const shown = paths.slice(0, 5).join(', ') + (paths.length > 5 ? `, ... (${paths.length} in all)` : '');
    super('ERR_EROFS_MANIFEST_UNSUPPORTED', `mkfs.erofs cannot apply these manifest entries that the source tree does not already match: ${shown}`, {
      hint: 'mkfs.erofs 1.5 takes owners/modes/devices only from disk: build the tree as root with the manifest applied, or use createSquashfs',
      value: paths,
      ...details,
    });
  }
}

/** A tool's output could not be understood (listing or superblock info). */
export class ToolOutputError extends DistroforgeError {
  constructor(tool: string, line: string, details: ErrorDetails = {}) {
    super('ERR_TOOL_OUTPUT', `cannot parse ${tool} output: ${JSON.stringify(line)}`, {
      hint: 'report this with the squashfs-tools version in use',
      value: line,
      ...details,
    });
  }
}
