import { DistroforgeError } from '@distroforge/core';

/**
 * Every error overlay-apply throws on purpose. Codes are stable (listed in the README):
 * - `ERR_OVERLAY_OPTIONS_INVALID`  an option failed validation; `value` is the key path
 * - `ERR_OVERLAY_PATH_ESCAPE`      a path or symlink in the root would lead outside it
 * - `ERR_OVERLAY_NOT_A_DIRECTORY`  a directory was needed where the root has something else
 * - `ERR_OVERLAY_UNSUPPORTED_FILE` the overlay holds a device, fifo or socket
 * - `ERR_OVERLAY_SOURCE_MISSING`   the overlay directory does not exist
 * - `ERR_OVERLAY_SOURCE_SYMLINK`   the overlay directory itself is a symlink
 * - `ERR_OVERLAY_UNSAFE_NAME`      an overlay file name holds a newline/carriage return or is not UTF-8
 * - `ERR_OVERLAY_NAME_TOO_LONG`    a file name of more than 255 bytes
 * - `ERR_OVERLAY_PATH_TOO_LONG`    a path of more than 4095 bytes on the host
 * - `ERR_ACCOUNT_CONFLICT`         a declared uid/gid clashes with the root's accounts
 * - `ERR_ACCOUNT_UNKNOWN`          a user or group named by the profile does not exist
 * - `ERR_ACCOUNT_RANGE_EXHAUSTED`  no free id left in the system/normal range
 * - `ERR_UNIT_UNKNOWN`             no unit file of that name in the root's unit paths
 * - `ERR_UNIT_CONFLICT`            a real file sits where a symlink must go (e.g. masking a unit in /etc)
 * - `ERR_UNIT_MASKED`              enabling a masked unit
 * - `ERR_TIMEZONE_UNKNOWN`         the zone is missing from the root's /usr/share/zoneinfo
 * - `ERR_OVERLAY_ROOT_MISSING`     the root is not a directory
 * - `ERR_OVERLAY_PERMISSION_TARGET_MISSING` the permissions map names a path the root lacks
 */
export class OverlayApplyError extends DistroforgeError {}

export class OptionsInvalidError extends OverlayApplyError {
  constructor(keyPath: string, message: string) {
    super('ERR_OVERLAY_OPTIONS_INVALID', `invalid option ${keyPath || '(root)'}: ${message}`, {
      value: keyPath,
      hint: 'fix this key in the profile (see the @distroforge/overlay-apply README for the option shapes)',
    });
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
    super('ERR_OVERLAY_SOURCE_SYMLINK', `overlay directory ${overlay} is a symlink (to ${target}); its target's files would be copied into the image`, {
      path: overlay,
      value: target,
      hint: 'make airootfs/ a real directory (cp -a the files into it), or pass the directory it points to if that is what the image should hold',
    });
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
    super('ERR_OVERLAY_NAME_TOO_LONG', `file name ${name.slice(0, 40)}... in ${path} is ${bytes} bytes; Linux allows 255`, {
      path,
      value: name,
      hint: 'shorten the name to at most 255 bytes (UTF-8: accented letters take 2, most CJK characters 3)',
    });
  }
}

export class PathTooLongError extends OverlayApplyError {
  constructor(path: string, host: string, bytes: number) {
    super('ERR_OVERLAY_PATH_TOO_LONG', `${path} needs a ${bytes}-byte path on the host (${host.slice(0, 60)}...); Linux allows 4095`, {
      path,
      value: host,
      hint: 'use a shorter root or overlay directory (e.g. under /tmp), or a shallower tree',
    });
  }
}
