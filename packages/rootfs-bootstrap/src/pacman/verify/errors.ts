import type { ErrorDetails } from '@distroforge/core';
import { BootstrapError } from '../../errors.js';

/**
 * Every code the pacman signature check throws on purpose, each with its hint (a list of its own
 * beside `pacmanErrorHints`, so the verification and the rest of the pacman source can grow apart).
 */
export const pacmanVerifyErrorHints = {
  ERR_PACMAN_KEYRING:
    'the keyring folder needs NAME.gpg and NAME-trusted (NAME-revoked optional) as archlinux-keyring ships them in /usr/share/keyrings: check --keyring or install archlinux-keyring',
  ERR_PACMAN_SIG_MISSING:
    'the package has no signature (no %PGPSIG% in the database, no .sig file beside it) and the signature level is required: use a mirror that serves signatures, or sig level optional',
  ERR_PACMAN_SIG_BAD:
    'the package or its signature was modified or corrupted: delete both from the cache and download them again, or use another mirror',
  ERR_PACMAN_SIG_UNKNOWN_KEY:
    'the signing key is not in the keyring: update the keyring (a newer archlinux-keyring) or check the mirror',
  ERR_PACMAN_SIG_UNTRUSTED:
    'the signing key is not certified by enough trusted main keys of the keyring (pacman: marginal or unknown trust): update the keyring, or check the mirror',
  ERR_PACMAN_SIG_REVOKED:
    'the signing key is revoked: do not install the package; update the keyring and use a mirror with re-signed packages',
  ERR_PACMAN_SIG_EXPIRED:
    'the signing key or the signature had expired at verification time: update the keyring (renewed keys) and the mirror, and check the clock',
} as const;

export type PacmanVerifyErrorCode = keyof typeof pacmanVerifyErrorHints;
export const pacmanVerifyErrorCodes = Object.keys(pacmanVerifyErrorHints) as PacmanVerifyErrorCode[];

/** The codes of `PacmanSignatureError`: every signature verdict other than a verified one. */
export type PacmanSignatureErrorCode = Exclude<PacmanVerifyErrorCode, 'ERR_PACMAN_KEYRING'>;

/** A keyring folder that lacks its files, has a malformed `-trusted`/`-revoked` line, or keys that do not parse. */
export class PacmanKeyringError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_PACMAN_KEYRING', message, { hint: pacmanVerifyErrorHints.ERR_PACMAN_KEYRING, ...details });
  }
}

/**
 * A package signature that is missing (level `required`), does not verify, or was made by a key
 * the keyring does not make valid. `code` says which; `package` names the package, `keyId` and
 * `fingerprint` the signing key when the signature names one (upper-case hex, as in pacman's messages).
 */
export class PacmanSignatureError extends BootstrapError {
  declare readonly code: PacmanSignatureErrorCode;
  /** The package (or file) whose signature was checked. */
  readonly package: string;
  /** Issuer key id of the signature (16 hex digits), when it names one. */
  readonly keyId: string | undefined;
  /** Fingerprint of the signer's primary key, when the keyring has it. */
  readonly fingerprint: string | undefined;
  constructor(
    code: PacmanSignatureErrorCode,
    pkg: string,
    reason: string,
    details: ErrorDetails & { keyId?: string | undefined; fingerprint?: string | undefined } = {},
  ) {
    const { keyId, fingerprint, ...rest } = details;
    const key = fingerprint ?? keyId;
    super(code, `${pkg}: ${reason}${key ? ` (key ${key})` : ''}`, {
      hint: pacmanVerifyErrorHints[code],
      value: pkg,
      ...rest,
    });
    this.package = pkg;
    this.keyId = keyId;
    this.fingerprint = fingerprint;
  }
}
