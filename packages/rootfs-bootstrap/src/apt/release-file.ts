import { readFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';
import { controlField, parseControlFile, type ControlParagraph } from './control-file.js';
import { ControlSyntaxError, ReleaseError, SignatureError } from '../errors.js';

/** What a (verified) `Release` file states. */
export interface ReleaseInfo {
  suite: string | undefined;
  codename: string | undefined;
  /** When the archive generated it (`Date`). */
  date: Date | undefined;
  validUntil: Date | undefined;
  acquireByHash: boolean;
  /** Index path relative to `dists/SUITE/` -> SHA-256 and size. */
  sha256: ReadonlyMap<string, { sha256: string; size: number }>;
}

const keyringCache = new Map<string, Promise<openpgp.Key[]>>();

/** Reads an OpenPGP keyring (binary `.gpg` or ASCII-armoured `.asc`), once per process. */
export function readKeyring(file: string): Promise<openpgp.Key[]> {
  let keys = keyringCache.get(file);
  if (!keys) {
    keys = (async () => {
      const data = await readFile(file).catch((cause: unknown) => {
        throw new SignatureError(`cannot read keyring ${file}: ${(cause as Error).message}`, { path: file, cause });
      });
      const armoured = data.subarray(0, 64).toString('latin1').includes('-----BEGIN PGP');
      try {
        return armoured
          ? await openpgp.readKeys({ armoredKeys: data.toString('utf8') })
          : await openpgp.readKeys({ binaryKeys: data });
      } catch (cause) {
        throw new SignatureError(`cannot read keyring ${file}: ${(cause as Error).message}`, { path: file, cause });
      }
    })();
    keys.catch(() => keyringCache.delete(file));
    keyringCache.set(file, keys);
  }
  return keys;
}

/**
 * Verifies a clear-signed `InRelease` against a keyring and returns the signed text only (never
 * anything outside the signature). At least one signature must verify with a key of the keyring.
 */
export async function verifyInRelease(data: Buffer, keyringFile: string, origin: string): Promise<string> {
  const keys = await readKeyring(keyringFile);
  let message: openpgp.CleartextMessage;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: data.toString('utf8') });
  } catch (cause) {
    throw new SignatureError(`${origin} is not a clear-signed OpenPGP message`, { path: origin, cause });
  }
  const result = await openpgp.verify({ message, verificationKeys: keys });
  const failures: string[] = [];
  for (const signature of result.signatures) {
    try {
      if (await signature.verified) return result.data;
    } catch (cause) {
      failures.push(`${signature.keyID.toHex()}: ${(cause as Error).message}`);
    }
  }
  throw new SignatureError(
    `no valid signature on ${origin} by a key in ${keyringFile} (${failures.join('; ') || 'unsigned'})`,
    {
      path: origin,
    },
  );
}

/** Parses the (already verified) Release text. */
export function parseRelease(text: string, origin: string): ReleaseInfo {
  const paragraph = parseControlFile(text, origin)[0];
  if (!paragraph) throw new ReleaseError(`${origin} is empty`, { path: origin });
  const sha256 = new Map<string, { sha256: string; size: number }>();
  for (const line of (controlField(paragraph, 'SHA256') ?? '').split('\n')) {
    const [hash, size, path] = line.trim().split(/\s+/);
    if (hash && size && path) sha256.set(path, { sha256: hash.toLowerCase(), size: Number(size) });
  }
  return {
    suite: controlField(paragraph, 'Suite'),
    codename: controlField(paragraph, 'Codename'),
    date: releaseDate(paragraph, 'Date', origin),
    validUntil: releaseDate(paragraph, 'Valid-Until', origin),
    acquireByHash: (controlField(paragraph, 'Acquire-By-Hash') ?? '').toLowerCase() === 'yes',
    sha256,
  };
}

/**
 * A date field (RFC 2822, `Sat, 10 Jan 2026 10:00:43 UTC`). One that does not parse is an error, not
 * an absent field: a Release must not escape its expiry or rollback checks by a malformed date.
 */
function releaseDate(paragraph: ControlParagraph, field: 'Date' | 'Valid-Until', origin: string): Date | undefined {
  const text = controlField(paragraph, field);
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new ControlSyntaxError(`${origin}: ${field} is not a date: ${JSON.stringify(text)}`, {
      path: origin,
      value: text,
    });
  return date;
}
