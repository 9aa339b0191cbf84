import * as openpgp from 'openpgp';
import type { PacmanKeyring, PacmanOwnerTrust } from './load-keyring.js';

/**
 * How valid a key of the keyring is at a given time, in gpg's words (`gpg --list-keys
 * --with-colons` field 2): `ultimate` and `full` keys may sign packages (pacman's default
 * `TrustedOnly`); `marginal` (certified by too few main keys) and `unknown` (by none) may not.
 */
export type PacmanKeyValidity = 'ultimate' | 'full' | 'marginal' | 'unknown' | 'expired' | 'revoked' | 'invalid';

/** The trust verdict on one key of the keyring. */
export interface PacmanKeyTrust {
  /** 40 upper-case hex digits. */
  fingerprint: string;
  /** The last 16 hex digits of the fingerprint, upper case. */
  keyId: string;
  userIds: string[];
  /** Listed in `NAME-trusted`: a main key, valid through the local master key's signature (pacman-key's lsign). */
  main: boolean;
  /** The owner trust `NAME-trusted` gives it (main keys only). */
  ownerTrust: PacmanOwnerTrust | undefined;
  validity: PacmanKeyValidity;
  /** The main keys (fingerprints) whose certifications count, on the user id that gives the validity. */
  certifiedBy: string[];
  /** Why, in a sentence. */
  reason: string;
}

export interface PacmanTrustOptions {
  /** The time of verification: expiry and revocation are judged at it. Default: now. */
  now?: Date;
}

/**
 * gpg's defaults, which pacman-key leaves alone: a user id is fully valid with one certification by
 * a fully trusted key, or three by marginally trusted ones (`--completes-needed 1`,
 * `--marginals-needed 3`); persona certifications (0x11) do not count (`--min-cert-level 2`).
 */
const COMPLETES_NEEDED = 1;
const MARGINALS_NEEDED = 3;

/**
 * openpgp's full configuration with the old signing algorithms pacman (through gpg) still accepts:
 * DSA and RSA keys below 2048 bits. What keys to accept is the keyring's business; which hash a
 * package signature may use stays openpgp's (SHA-1 and weaker are refused).
 */
export const PACMAN_OPENPGP_CONFIG: openpgp.Config = {
  ...openpgp.config,
  rejectPublicKeyAlgorithms: new Set(),
  minRSABits: 1024,
};

interface Introducer {
  key: openpgp.PublicKey;
  fingerprint: string;
  trust: 'marginal' | 'full' | 'ultimate';
}

const introducerCache = new WeakMap<PacmanKeyring, Map<number, Promise<Introducer[]>>>();

/**
 * The trust of every key of the keyring at `now`, as gpg computes it after `pacman-key --init` and
 * `--populate` (the main keys signed by a local ultimately trusted key, their owner trust taken from
 * `NAME-trusted`, the keys of `NAME-revoked` disabled): a main key is valid while it is neither
 * expired nor revoked; any other key is `full` when one of its user ids (neither revoked nor expired)
 * carries certifications by valid main keys worth one fully trusted or three marginally trusted
 * ones — per main key the latest of its certifications and certification revocations on that user
 * id, unexpired and made before `now`.
 */
export async function computePacmanKeyTrust(
  keyring: PacmanKeyring,
  options: PacmanTrustOptions = {},
): Promise<PacmanKeyTrust[]> {
  const now = options.now ?? new Date();
  return Promise.all(keyring.keys.map((key) => pacmanKeyTrust(keyring, key, { now })));
}

/** The trust of one key of the keyring at `now` (see `computePacmanKeyTrust`). */
export async function pacmanKeyTrust(
  keyring: PacmanKeyring,
  key: openpgp.PublicKey,
  options: PacmanTrustOptions = {},
): Promise<PacmanKeyTrust> {
  const now = options.now ?? new Date();
  const fingerprint = key.getFingerprint().toUpperCase();
  const ownerTrust = keyring.trusted.get(fingerprint);
  const base = {
    fingerprint,
    keyId: fingerprint.slice(-16),
    userIds: key.users.flatMap((u) => (u.userID ? [u.userID.userID] : [])),
    main: ownerTrust !== undefined,
    ownerTrust,
    certifiedBy: [] as string[],
  };
  if (keyring.revoked.has(fingerprint))
    return {
      ...base,
      validity: 'revoked',
      reason: `listed in ${keyring.names.map((n) => `${n}-revoked`).join(' or ')}`,
    };
  const state = await keyState(key, now);
  if (state) return { ...base, ...state };
  if (ownerTrust !== undefined) {
    return ownerTrust === 'ultimate'
      ? { ...base, validity: 'ultimate', reason: 'a main key with ultimate owner trust' }
      : { ...base, validity: 'full', reason: 'a main key (signed by the local master key)' };
  }
  const introducers = await introducersAt(keyring, now);
  let best: { validity: PacmanKeyValidity; certifiedBy: string[]; full: number; marginal: number } = {
    validity: 'unknown',
    certifiedBy: [],
    full: 0,
    marginal: 0,
  };
  for (const user of key.users) {
    if (!user.userID || !(await userValid(user, now))) continue;
    let full = 0;
    let marginal = 0;
    const certifiedBy: string[] = [];
    for (const introducer of introducers) {
      if (!(await certifies(introducer.key, key, user, now))) continue;
      certifiedBy.push(introducer.fingerprint);
      if (introducer.trust === 'ultimate') full = COMPLETES_NEEDED;
      else if (introducer.trust === 'full') full++;
      else marginal++;
    }
    const validity: PacmanKeyValidity =
      full >= COMPLETES_NEEDED || marginal >= MARGINALS_NEEDED ? 'full' : full + marginal > 0 ? 'marginal' : 'unknown';
    if (rank(validity) > rank(best.validity)) best = { validity, certifiedBy, full, marginal };
  }
  const reason =
    best.validity === 'full'
      ? `certified by ${best.certifiedBy.length} trusted main key(s)`
      : best.validity === 'marginal'
        ? `certified by too few trusted main keys (${best.marginal} marginal of ${MARGINALS_NEEDED} needed)`
        : 'certified by no valid trusted main key';
  return { ...base, validity: best.validity, certifiedBy: best.certifiedBy, reason };
}

function rank(validity: PacmanKeyValidity): number {
  return validity === 'full' ? 2 : validity === 'marginal' ? 1 : 0;
}

/** Why the primary key is unusable at `now` (revoked, expired, no valid self-signature), or undefined when it is usable. */
export async function keyState(
  key: openpgp.PublicKey,
  now: Date,
): Promise<{ validity: 'revoked' | 'expired' | 'invalid'; reason: string } | undefined> {
  try {
    await key.verifyPrimaryKey(now, undefined, PACMAN_OPENPGP_CONFIG);
    return undefined;
  } catch (cause) {
    const message = (cause as Error).message;
    if (/^Primary key is revoked/.test(message)) return { validity: 'revoked', reason: 'revoked by its owner' };
    if (/^Primary key is expired/.test(message)) {
      const expires = await key.getExpirationTime(undefined, PACMAN_OPENPGP_CONFIG).catch(() => null);
      return {
        validity: 'expired',
        reason: expires instanceof Date ? `expired on ${expires.toISOString()}` : 'expired',
      };
    }
    return { validity: 'invalid', reason: `no valid user id or self-signature at ${now.toISOString()}: ${message}` };
  }
}

/** The main keys that introduce others at `now`: valid, not disabled, owner trust marginal or better. */
function introducersAt(keyring: PacmanKeyring, now: Date): Promise<Introducer[]> {
  let byTime = introducerCache.get(keyring);
  if (!byTime) {
    byTime = new Map();
    introducerCache.set(keyring, byTime);
  }
  const cached = byTime.get(now.getTime());
  if (cached) return cached;
  const computed = (async () => {
    const introducers: Introducer[] = [];
    for (const key of keyring.keys) {
      const fingerprint = key.getFingerprint().toUpperCase();
      const trust = keyring.trusted.get(fingerprint);
      if (trust !== 'marginal' && trust !== 'full' && trust !== 'ultimate') continue;
      if (keyring.revoked.has(fingerprint) || (await keyState(key, now))) continue;
      introducers.push({ key, fingerprint, trust });
    }
    return introducers;
  })();
  if (byTime.size >= 8) byTime.clear();
  byTime.set(now.getTime(), computed);
  return computed;
}

/** The user id has a valid self-certification at `now` and is not revoked (gpg skips revoked and expired user ids). */
async function userValid(user: openpgp.PublicKey['users'][number], now: Date): Promise<boolean> {
  try {
    await user.verify(now, PACMAN_OPENPGP_CONFIG);
    return true;
  } catch {
    return false;
  }
}

type SignaturePacket = openpgp.SignaturePacket;
const { certGeneric, certCasual, certPositive, certRevocation } = openpgp.enums.signature;

/**
 * Whether `signer`'s certification of `user` counts at `now`, as gpg's trust check decides: of the
 * signer's certifications (persona ones aside) and certification revocations on the user id that
 * verify and were made before `now` (and after the signer's key), the latest wins — a certification
 * neither revocable nor expired beating any other — and counts when it is a certification that has
 * not expired.
 */
async function certifies(
  signer: openpgp.PublicKey,
  key: openpgp.PublicKey,
  user: openpgp.PublicKey['users'][number],
  now: Date,
): Promise<boolean> {
  const signerId = signer.getKeyID();
  const data = { userID: user.userID, userAttribute: user.userAttribute, key: key.keyPacket };
  const signerCreated = signer.getCreationTime();
  const candidates: SignaturePacket[] = [];
  for (const signature of [...user.otherCertifications, ...user.revocationSignatures]) {
    if (!signature.issuerKeyID.equals(signerId)) continue;
    const type = signature.signatureType;
    if (type !== certGeneric && type !== certCasual && type !== certPositive && type !== certRevocation) continue; // certPersona: below gpg's min-cert-level
    const created = signature.created;
    if (!created || created > now || created < signerCreated) continue;
    try {
      // Checked at its own creation time: expiry is judged below, after the latest one is chosen.
      await signature.verify(signer.keyPacket, type, data, created, false, PACMAN_OPENPGP_CONFIG);
    } catch {
      continue;
    }
    candidates.push(signature);
  }
  if (candidates.length === 0) return false;
  const unexpired = (s: SignaturePacket) => now < s.getExpirationTime();
  const firm = (s: SignaturePacket) => s.signatureType !== certRevocation && s.revocable === false && unexpired(s);
  let latest = candidates[0]!;
  for (const candidate of candidates.slice(1)) {
    if (firm(latest) !== firm(candidate)) {
      if (firm(candidate)) latest = candidate;
      continue;
    }
    if ((candidate.created?.getTime() ?? 0) >= (latest.created?.getTime() ?? 0)) latest = candidate;
  }
  return latest.signatureType !== certRevocation && unexpired(latest);
}
