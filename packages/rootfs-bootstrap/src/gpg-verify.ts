import * as openpgp from 'openpgp';
import { readKeyring } from './apt/release-file.js';

/** The outcome of checking one OpenPGP signature against the given keys. */
export interface GpgVerification {
  /** A signature was found at all. */
  signed: boolean;
  /** It verified with one of the given keys. */
  verified: boolean;
  /** Issuer key id (16 hex digits, lower case) when the signature names one. */
  keyId: string;
  /** Why it did not verify (unsigned, unknown key, bad signature). */
  reason?: string;
}

/**
 * Reads the key files (binary `.gpg` keyrings or ASCII-armoured `.asc` exports, as dnf's `gpgkey=`
 * and apt's keyrings) with the same in-process OpenPGP reader the apt source uses for InRelease.
 */
export async function readGpgKeys(files: readonly string[]): Promise<openpgp.Key[]> {
  return (await Promise.all(files.map((f) => readKeyring(f)))).flat();
}

/**
 * Verifies detached OpenPGP signatures (binary packets or armoured) over `data`: the first one
 * that verifies with a key of `keys` wins; otherwise the reason of the last one is reported.
 */
export async function verifyDetached(
  data: Uint8Array,
  signatures: readonly Uint8Array[],
  keys: readonly openpgp.Key[],
): Promise<GpgVerification> {
  if (signatures.length === 0) return { signed: false, verified: false, keyId: '', reason: 'not signed' };
  let last: GpgVerification = { signed: true, verified: false, keyId: '', reason: 'no signature packet' };
  for (const bytes of signatures) {
    let signature: openpgp.Signature;
    try {
      signature = isArmoured(bytes)
        ? await openpgp.readSignature({ armoredSignature: Buffer.from(bytes).toString('utf8') })
        : await openpgp.readSignature({ binarySignature: bytes });
    } catch (cause) {
      last = { signed: true, verified: false, keyId: '', reason: `unreadable signature: ${(cause as Error).message}` };
      continue;
    }
    const keyId = signature.getSigningKeyIDs()[0]?.toHex() ?? '';
    if (keys.length === 0) {
      last = { signed: true, verified: false, keyId, reason: 'no keys given' };
      continue;
    }
    const message = await openpgp.createMessage({ binary: data });
    const result = await openpgp.verify({ message, signature, verificationKeys: [...keys], format: 'binary' });
    for (const s of result.signatures) {
      try {
        await s.verified;
        return { signed: true, verified: true, keyId: s.keyID.toHex() };
      } catch (cause) {
        const message = (cause as Error).message;
        last = {
          signed: true,
          verified: false,
          keyId: s.keyID.toHex() || keyId,
          reason: /could not find signing key/i.test(message) ? 'signed by a key not given' : message,
        };
      }
    }
  }
  return last;
}

function isArmoured(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN PGP');
}
