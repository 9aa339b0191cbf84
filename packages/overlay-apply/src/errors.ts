import { DistroforgeError, optionIssuesMessage, type ErrorDetails, type OptionIssue } from '@distroforge/core';

/** Stable error codes of this package (listed in the README). */
export const overlayErrorCodes = [
  'ERR_OVERLAY_OPTIONS_INVALID',
  'ERR_OVERLAY_ROOT_MISSING',
  'ERR_OVERLAY_SOURCE_MISSING',
  'ERR_OVERLAY_SOURCE_SYMLINK',
  'ERR_OVERLAY_UNSAFE_NAME',
  'ERR_OVERLAY_NAME_TOO_LONG',
  'ERR_OVERLAY_PATH_TOO_LONG',
  'ERR_OVERLAY_PATH_ESCAPE',
  'ERR_OVERLAY_NOT_A_DIRECTORY',
  'ERR_OVERLAY_UNSUPPORTED_FILE',
  'ERR_OVERLAY_PERMISSION_TARGET_MISSING',
  'ERR_ACCOUNT_CONFLICT',
  'ERR_ACCOUNT_UNKNOWN',
  'ERR_ACCOUNT_RANGE_EXHAUSTED',
  'ERR_UNIT_UNKNOWN',
  'ERR_UNIT_MASKED',
  'ERR_UNIT_CONFLICT',
  'ERR_TIMEZONE_UNKNOWN',
] as const;

export type OverlayErrorCode = (typeof overlayErrorCodes)[number];

// The hint of each code, unless the error gives a more specific one.
const hints: Record<OverlayErrorCode, string> = {
  ERR_OVERLAY_OPTIONS_INVALID:
    'fix these keys in the profile (see the @distroforge/overlay-apply README for the option shapes)',
  ERR_OVERLAY_ROOT_MISSING: 'pass the root directory of a bootstrapped system',
  ERR_OVERLAY_SOURCE_MISSING: 'create the overlay directory or fix its path',
  ERR_OVERLAY_SOURCE_SYMLINK:
    'make airootfs/ a real directory (cp -a the files into it), or pass the directory it points to if that is what the image should hold',
  ERR_OVERLAY_UNSAFE_NAME:
    'rename the file: the manifest, mksquashfs pseudo files and debugfs scripts that carry image paths cannot hold it',
  ERR_OVERLAY_NAME_TOO_LONG:
    'shorten the name to at most 255 bytes (UTF-8: accented letters take 2, most CJK characters 3)',
  ERR_OVERLAY_PATH_TOO_LONG: 'use a shorter root or overlay directory (e.g. under /tmp), or a shallower tree',
  ERR_OVERLAY_PATH_ESCAPE: 'the root contains a symlink pointing above it; remove it or make it relative to the root',
  ERR_OVERLAY_NOT_A_DIRECTORY: 'remove the file that stands where a directory must go, or move the overlay content',
  ERR_OVERLAY_UNSUPPORTED_FILE:
    'remove devices, fifos and sockets from the overlay; declare device nodes in the manifest instead',
  ERR_OVERLAY_PERMISSION_TARGET_MISSING: 'add the file to the overlay or drop its entry from the permissions map',
  ERR_ACCOUNT_CONFLICT: 'drop the declared uid/gid or pick one that is free in the root',
  ERR_ACCOUNT_UNKNOWN: 'declare the group (or user) in the profile, or install the package that creates it',
  ERR_ACCOUNT_RANGE_EXHAUSTED: 'declare explicit ids or free some in the root',
  ERR_UNIT_UNKNOWN:
    'install the package that ships the unit, add it to the overlay under /etc/systemd/system, or fix the name',
  ERR_UNIT_MASKED: 'do not enable and mask the same unit; remove one of the two',
  ERR_UNIT_CONFLICT: 'remove the file or link that stands where the unit link must go',
  ERR_TIMEZONE_UNKNOWN: 'install tzdata in the root or use a zone name such as Etc/UTC or Europe/Berlin',
};

/** Every error overlay-apply throws on purpose: its code's hint unless it gives another. */
export class OverlayApplyError extends DistroforgeError {
  declare readonly code: OverlayErrorCode;
  constructor(code: OverlayErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { ...details, hint: details.hint ?? hints[code] });
  }
}

/** An option failed validation: `value` is the (first) key path, `issues` every problem. */
export class OptionsInvalidError extends OverlayApplyError {
  readonly issues: readonly OptionIssue[];
  constructor(keyPath: string, message: string, issues: readonly OptionIssue[] = [{ key: keyPath, message }]) {
    super('ERR_OVERLAY_OPTIONS_INVALID', optionIssuesMessage(issues), { value: keyPath });
    this.issues = [...issues];
  }
}

export class PathEscapeError extends OverlayApplyError {
  constructor(path: string, target: string) {
    super('ERR_OVERLAY_PATH_ESCAPE', `${path} leads outside the root (via ${target})`, {
      path,
      value: target,
      hint: 'the root contains a symlink pointing above it; remove it or make it relative to the root',
    });
  }
}

export class UnknownUnitError extends OverlayApplyError {
  constructor(unit: string, searched: readonly string[]) {
    super('ERR_UNIT_UNKNOWN', `unit ${unit} not found in ${searched.join(', ')}`, {
      value: unit,
      hint: `install the package that ships ${unit}, add it to the overlay under /etc/systemd/system, or fix the name`,
    });
  }
}

export class TimezoneUnknownError extends OverlayApplyError {
  constructor(zone: string, path: string) {
    super('ERR_TIMEZONE_UNKNOWN', `timezone ${zone} is not in the root (${path} missing)`, {
      path,
      value: zone,
      hint: 'install tzdata in the root or use a zone name such as Etc/UTC or Europe/Berlin',
    });
  }
}

export class SourceSymlinkError extends OverlayApplyError {
  constructor(overlay: string, target: string) {
    super(
      'ERR_OVERLAY_SOURCE_SYMLINK',
      `overlay directory ${overlay} is a symlink (to ${target}); its target's files would be copied into the image`,
      {
        path: overlay,
        value: target,
        hint: 'make airootfs/ a real directory (cp -a the files into it), or pass the directory it points to if that is what the image should hold',
      },
    );
  }
}

export class UnsafeNameError extends OverlayApplyError {
  constructor(source: string, reason: string) {
    super('ERR_OVERLAY_UNSAFE_NAME', `overlay file name ${JSON.stringify(source)} ${reason}`, {
      path: source,
      value: source,
      hint: 'rename the file: the manifest, mksquashfs pseudo files and debugfs scripts that carry image paths cannot hold it',
    });
  }
}

export class NameTooLongError extends OverlayApplyError {
  constructor(path: string, name: string, bytes: number) {
    super(
      'ERR_OVERLAY_NAME_TOO_LONG',
      `file name ${name.slice(0, 40)}... in ${path} is ${bytes} bytes; Linux allows 255`,
      {
        path,
        value: name,
        hint: 'shorten the name to at most 255 bytes (UTF-8: accented letters take 2, most CJK characters 3)',
      },
    );
  }
}

export class PathTooLongError extends OverlayApplyError {
  constructor(path: string, host: string, bytes: number) {
    super(
      'ERR_OVERLAY_PATH_TOO_LONG',
      `${path} needs a ${bytes}-byte path on the host (${host.slice(0, 60)}...); Linux allows 4095`,
      {
        path,
        value: host,
        hint: 'use a shorter root or overlay directory (e.g. under /tmp), or a shallower tree',
      },
    );
  }
}
