import { DistroforgeError } from '@distroforge/core';

/**
 * Every error overlay-apply throws on purpose. Codes are stable (listed in the README):
 * - `ERR_OVERLAY_OPTIONS_INVALID`  an option failed validation; `value` is the key path
 * - `ERR_OVERLAY_PATH_ESCAPE`      a path or symlink in the root would lead outside it
 * - `ERR_OVERLAY_NOT_A_DIRECTORY`  a directory was needed where the root has something else
 * - `ERR_OVERLAY_UNSUPPORTED_FILE` the overlay holds a device, fifo or socket
 * - `ERR_OVERLAY_SOURCE_MISSING`   the overlay directory does not exist
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
