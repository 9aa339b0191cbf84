import { readFile } from 'node:fs/promises';
import { FetchError } from '../../errors.js';
import { fetchBytes } from '../../fetch-resource.js';
import type { PacmanVerify } from '../install/options.js';
import type { PacmanKeyring } from './load-keyring.js';
import { type PacmanSigLevel, verifyPacmanSignature } from './verify-signature.js';

export interface PacmanVerifierOptions {
  level: PacmanSigLevel;
  /** The time of verification (default: the time of each check). */
  now?: Date;
  /** Aborts fetching a `.sig` file. */
  signal?: AbortSignal;
}

/**
 * `bootstrapPacman`'s `verify` hook with pacman's signature rules: the sync database's `%PGPSIG%`
 * when it has one, else the detached `FILE.sig` where pacman would fetch it (a URL of the mirror, a
 * file:// URL or a path beside a folder's package; none there counts as unsigned), checked with
 * `verifyPacmanSignature` against `keyring`. Resolves `{ signatureVerified }`; a refused package
 * throws `PacmanSignatureError`, which stops the install before anything is written.
 */
export function pacmanSignatureVerifier(keyring: PacmanKeyring, options: PacmanVerifierOptions): PacmanVerify {
  return async ({ package: pkg, file, signature }) => {
    const common = {
      level: options.level,
      package: `${pkg.name}-${pkg.version}`,
      ...(options.now ? { now: options.now } : {}),
    };
    if (options.level === 'off') return { signatureVerified: false };
    const pgpsig = pkg.pgpSignature?.trim() ? pkg.pgpSignature : undefined;
    const detached = pgpsig ?? (await fetchSignature(signature, options.signal));
    const check = await verifyPacmanSignature(file, detached, keyring, common);
    return { signatureVerified: check.status === 'verified' };
  };
}

/** The `.sig` file's bytes, or undefined when there is none (no such file, HTTP 404/410). */
async function fetchSignature(location: string, signal: AbortSignal | undefined): Promise<Buffer | undefined> {
  try {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(location)
      ? await fetchBytes(location, signal ? { signal } : {})
      : await readFile(location);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (
      cause instanceof FetchError &&
      (/HTTP (404|410)$/.test(cause.message) || (cause.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    )
      return undefined;
    throw cause;
  }
}
