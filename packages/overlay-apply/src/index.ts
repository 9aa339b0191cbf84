export { applyProfile, checkProfile } from './apply-profile.js';
export { applyOverlay } from './apply-overlay.js';
export { scanOverlay, type OverlayEntry } from './scan-overlay.js';
export type { ApplyResult } from './finish.js';
export type { Change, ChangeAction } from './root-writer.js';
export {
  applyProfileOptionsSchema,
  applyOverlayOptionsSchema,
  profileSettingsSchema,
  servicesSchema,
  autologinSchema,
  fstabEntrySchema,
  type ApplyProfileOptions,
  type ApplyOverlayOptions,
} from './profile-schema.js';
export { userSchema, groupSchema, passwordSchema, type UserInput, type GroupInput } from './account-schema.js';
export { sha512Crypt, verifySha512Crypt, deterministicSalt, type Sha512CryptOptions } from './sha512-crypt.js';
export { autologinDropIn, gettyUnitFor } from './settings/autologin.js';
export { unitSearchPath } from './unit-files.js';
export {
  overlayErrorCodes,
  type OverlayErrorCode,
  OverlayApplyError,
  OptionsInvalidError,
  PathEscapeError,
  UnknownUnitError,
  TimezoneUnknownError,
  SourceSymlinkError,
  UnsafeNameError,
  NameTooLongError,
  PathTooLongError,
} from './errors.js';
