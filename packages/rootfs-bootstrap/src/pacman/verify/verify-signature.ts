import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { PacmanSignatureError, type PacmanSignatureErrorCode } from './errors.js';
import { PACMAN_OPENPGP_CONFIG, pacmanKeyTrust } from './key-trust.js';
import type { PacmanKeyring } from './load-keyring.js';

/**
 * pacman's `SigLevel` for packages: `off` checks nothing (`Never`), `optional` checks a signature
 * when there is one — a bad one still fails — (`Optional TrustedOnly`), `required` fails without one
 * (`Required TrustedOnly`, pacman's default).
 */
export type PacmanSigLevel = 'off' | 'optional' | 'required';

export interface PacmanVerifyOptions {
  level: PacmanSigLevel;
  /** The time of verification: key and signature expiry and revocation are judged at it. Default: now. */
  now?: Date;
  /** The package named in results and errors. Default: the file's name (or `data` for bytes). */
  package?: string;
}

/** One signature that verified, by a key the keyring makes valid. */
export interface PacmanSigner {
  /** Issuer key id of the signature (16 upper-case hex digits: a subkey's when a subkey signed). */
  keyId: string;
  /** Fingerprint of the signer's primary key (40 upper-case hex digits). */
  fingerprint: string;
  /** The signer's first user id. */
  userId: string | undefined;
  validity: 'full' | 'ultimate';
  /** When the signature was made. */
  created: Date;
}

/** The outcome of a signature check that did not fail (failures throw `PacmanSignatureError`). */
export interface PacmanSignatureCheck {
  package: string;
  /** `verified`: every signature is good and by a valid key; `unsigned`: none, level optional; `skipped`: level off. */
  status: 'verified' | 'unsigned' | 'skipped';
  signers: PacmanSigner[];
  /** Where the signature came from (verifyPacmanPackage): the sync database's `%PGPSIG%` or the `.sig` file. */
  signatureFrom?: 'database' | 'sig-file';
}

/**
 * Checks a detached OpenPGP signature over a package (`data`: its bytes, or the path of its file,
 * read as a stream) against the keyring with pacman's rules, in-process. `signature`: the `.sig`
 * file's bytes (binary or armoured), or the sync database's base64 `%PGPSIG%` as a string;
 * `undefined` when there is none. Every signature packet must verify and come from a key that is
 * valid at `now` (see `computePacmanKeyTrust`); otherwise a `PacmanSignatureError` says why, naming
 * the package and the key.
 */
export async function verifyPacmanSignature(
  data: Uint8Array | string,
  signature: Uint8Array | string | undefined,
  keyring: PacmanKeyring,
  options: PacmanVerifyOptions,
): Promise<PacmanSignatureCheck> {
  const pkg = options.package ?? (typeof data === 'string' ? basename(data) : 'data');
  if (options.level === 'off') return { package: pkg, status: 'skipped', signers: [] };
  if (signature === undefined || (typeof signature === 'string' && signature.trim() === '')) {
    if (options.level === 'optional') return { package: pkg, status: 'unsigned', signers: [] };
    throw new PacmanSignatureError('ERR_PACMAN_SIG_MISSING', pkg, 'no signature, and the signature level is required');
  }
  const now = options.now ?? new Date();
  const parsed = await readSignature(signature, pkg);
  const packets = parsed.packets.filterByTag(openpgp.enums.packet.signature) as unknown as openpgp.SignaturePacket[];
  if (packets.length === 0)
    throw new PacmanSignatureError('ERR_PACMAN_SIG_BAD', pkg, 'the signature holds no signature packet');

  // Each signature's key: unknown keys fail before any data is read.
  const signingKeys = packets.map((packet) => {
    const keyId = packet.issuerKeyID.toHex().toUpperCase();
    const key = keyring.keys.find((k) => k.getKeys(packet.issuerKeyID).length > 0);
    if (!key)
      throw new PacmanSignatureError('ERR_PACMAN_SIG_UNKNOWN_KEY', pkg, 'signed by a key that is not in the keyring', {
        keyId,
      });
    return { packet, keyId, key, fingerprint: key.getFingerprint().toUpperCase() };
  });

  const message = await openpgp.createMessage({ binary: typeof data === 'string' ? fileStream(data) : data });
  let result: Awaited<ReturnType<typeof openpgp.verify>>;
  try {
    result = await openpgp.verify({
      message,
      signature: parsed,
      verificationKeys: [...new Set(signingKeys.map((s) => s.key))],
      date: now,
      format: 'binary',
      config: {
        rejectPublicKeyAlgorithms: PACMAN_OPENPGP_CONFIG.rejectPublicKeyAlgorithms,
        minRSABits: PACMAN_OPENPGP_CONFIG.minRSABits,
      },
    });
    await drain(result.data);
  } catch (cause) {
    if (typeof data === 'string' && (cause as NodeJS.ErrnoException).code) throw cause; // the file could not be read: not a signature verdict
    throw new PacmanSignatureError(
      'ERR_PACMAN_SIG_BAD',
      pkg,
      `the signature cannot be checked: ${(cause as Error).message}`,
      { keyId: signingKeys[0]?.keyId, cause },
    );
  }

  const signers: PacmanSigner[] = [];
  for (const [i, { packet, keyId, key, fingerprint }] of signingKeys.entries()) {
    const details = { keyId, fingerprint };
    try {
      await result.signatures[i]!.verified;
    } catch (cause) {
      const [code, reason] = cryptoVerdict((cause as Error).message, packet);
      throw new PacmanSignatureError(code, pkg, reason, { ...details, cause });
    }
    // The signing subkey, if a subkey signed, must still be usable at `now` too.
    const signingKey = key.getKeys(packet.issuerKeyID)[0];
    if (signingKey && signingKey !== key && 'bindingSignatures' in signingKey) {
      try {
        await (signingKey as openpgp.Subkey).verify(now, PACMAN_OPENPGP_CONFIG);
      } catch (cause) {
        const message = (cause as Error).message;
        if (/revoked/i.test(message))
          throw new PacmanSignatureError('ERR_PACMAN_SIG_REVOKED', pkg, 'the signing subkey is revoked', {
            ...details,
            cause,
          });
        if (/expired/i.test(message))
          throw new PacmanSignatureError(
            'ERR_PACMAN_SIG_EXPIRED',
            pkg,
            `the signing subkey had expired at ${now.toISOString()}`,
            { ...details, cause },
          );
        throw new PacmanSignatureError('ERR_PACMAN_SIG_BAD', pkg, `the signing subkey is not valid: ${message}`, {
          ...details,
          cause,
        });
      }
    }
    const trust = await pacmanKeyTrust(keyring, key, { now });
    if (trust.validity === 'revoked')
      throw new PacmanSignatureError(
        'ERR_PACMAN_SIG_REVOKED',
        pkg,
        `the signing key is revoked (${trust.reason})`,
        details,
      );
    if (trust.validity === 'expired')
      throw new PacmanSignatureError('ERR_PACMAN_SIG_EXPIRED', pkg, `the signing key ${trust.reason}`, details);
    if (trust.validity !== 'full' && trust.validity !== 'ultimate') {
      throw new PacmanSignatureError(
        'ERR_PACMAN_SIG_UNTRUSTED',
        pkg,
        `the signing key is not valid: ${trust.reason}`,
        details,
      );
    }
    signers.push({
      keyId,
      fingerprint,
      userId: trust.userIds[0],
      validity: trust.validity,
      created: packet.created ?? new Date(0),
    });
  }
  return { package: pkg, status: 'verified', signers };
}

/**
 * Checks a package file the way pacman does: against the sync database's `%PGPSIG%` when the
 * database has one (`pgpSignature`), else against the `FILE.sig` beside it, else as unsigned.
 */
export async function verifyPacmanPackage(
  file: string,
  keyring: PacmanKeyring,
  options: PacmanVerifyOptions & { pgpSignature?: string | undefined },
): Promise<PacmanSignatureCheck> {
  const { pgpSignature, ...rest } = options;
  if (options.level === 'off') return verifyPacmanSignature(file, undefined, keyring, rest);
  if (pgpSignature !== undefined && pgpSignature.trim() !== '')
    return { ...(await verifyPacmanSignature(file, pgpSignature, keyring, rest)), signatureFrom: 'database' };
  let sig: Buffer | undefined;
  try {
    sig = await readFile(`${file}.sig`);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause;
  }
  const check = await verifyPacmanSignature(file, sig, keyring, rest);
  return sig === undefined ? check : { ...check, signatureFrom: 'sig-file' };
}

async function readSignature(signature: Uint8Array | string, pkg: string): Promise<openpgp.Signature> {
  let bytes: Uint8Array;
  if (typeof signature === 'string') {
    const compact = signature.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw new PacmanSignatureError('ERR_PACMAN_SIG_BAD', pkg, 'the %PGPSIG% field is not base64');
    }
    bytes = Buffer.from(compact, 'base64');
  } else bytes = signature;
  try {
    const armoured = Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN PGP');
    return armoured
      ? await openpgp.readSignature({ armoredSignature: Buffer.from(bytes).toString('utf8') })
      : await openpgp.readSignature({ binarySignature: bytes });
  } catch (cause) {
    throw new PacmanSignatureError(
      'ERR_PACMAN_SIG_BAD',
      pkg,
      `the signature is not an OpenPGP signature: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** What a failed `verified` promise of openpgp means for pacman. */
function cryptoVerdict(message: string, packet: openpgp.SignaturePacket): [PacmanSignatureErrorCode, string] {
  if (/Signed digest did not match|Signature verification failed/.test(message))
    return ['ERR_PACMAN_SIG_BAD', 'the signature does not match the data (modified or corrupted)'];
  if (/Signature is expired/.test(message))
    return [
      'ERR_PACMAN_SIG_EXPIRED',
      `the signature expired on ${packet.getExpirationTime() instanceof Date ? (packet.getExpirationTime() as Date).toISOString() : '?'}`,
    ];
  if (/(Primary key|Subkey) is revoked/.test(message)) return ['ERR_PACMAN_SIG_REVOKED', 'the signing key is revoked'];
  if (/(Primary key|Subkey) is expired/.test(message))
    return ['ERR_PACMAN_SIG_EXPIRED', 'the signing key had expired when the signature was made'];
  if (/creation time is in the future/.test(message))
    return ['ERR_PACMAN_SIG_BAD', 'the signature claims to be made after the time of verification'];
  return ['ERR_PACMAN_SIG_BAD', `the signature does not verify: ${message}`];
}

function fileStream(path: string): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
}

async function drain(data: unknown): Promise<void> {
  if (data && typeof (data as ReadableStream).getReader === 'function') {
    const reader = (data as ReadableStream<Uint8Array>).getReader();
    for (;;) if ((await reader.read()).done) break;
  }
}
