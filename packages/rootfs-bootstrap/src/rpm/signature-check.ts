import { readRpm } from '@distroforge/rpm-extract';
import { open, readFile } from 'node:fs/promises';
import type * as openpgp from 'openpgp';
import { RpmSourceError } from '../errors.js';
import { verifyDetached, type GpgVerification } from '../gpg-verify.js';

// Signature-header tags holding OpenPGP signatures (rpm's rpmtag.h).
const RSA_HEADER = 268; // over the main header (RSA keys; rpmsign's default since 4.14)
const DSA_HEADER = 267; // over the main header (DSA, ECDSA and EdDSA keys)
const OPENPGP = 278; // rpm 6: base64 signatures over the main header, any number
const PGP = 1002; // over header + payload (RSA, `rpmsign --rpmv3`)
const GPG = 1005; // over header + payload (DSA/EdDSA, `rpmsign --rpmv3`)

/** The signature check of one package file. */
export interface RpmSignatureCheck extends GpgVerification {
  /** Package name from the header. */
  package: string;
  file: string;
  /** What the verified signature covers: the header (whose payload digest extraction checks) or header and payload. */
  covers?: 'header' | 'header+payload';
}

/**
 * Verifies a package's OpenPGP signature as `rpm -K` does, in-process: the header-only signatures
 * (RSA/DSA header tags, rpm 6's OPENPGP tag) over the main header's bytes, else the legacy
 * header+payload ones (PGP/GPG tags) over everything after the signature header. A header
 * signature covers the payload through the payload SHA-256 the header records, which extraction
 * verifies before anything is installed.
 */
export async function checkRpmSignature(file: string, keys: readonly openpgp.Key[]): Promise<RpmSignatureCheck> {
  const pkg = await readRpm(file);
  const tags = pkg.signatureTags;
  const binary = (tag: number): Uint8Array[] => {
    const value = tags.get(tag)?.value;
    if (Buffer.isBuffer(value)) return [value];
    if (tag === OPENPGP && Array.isArray(value)) return value.map((v) => Buffer.from(String(v), 'base64'));
    return [];
  };
  const headerSignatures = [RSA_HEADER, DSA_HEADER, OPENPGP].flatMap(binary);
  const fullSignatures = [PGP, GPG].flatMap(binary);
  const start = await mainHeaderOffset(file);
  let header: GpgVerification | undefined;
  if (headerSignatures.length > 0) {
    const bytes = await readRange(file, start, pkg.payloadOffset);
    header = await verifyDetached(bytes, headerSignatures, keys);
    if (header.verified) return { package: pkg.name, file, ...header, covers: 'header' };
  }
  if (fullSignatures.length > 0) {
    const full = await verifyDetached((await readFile(file)).subarray(start), fullSignatures, keys);
    if (full.verified || !header)
      return { package: pkg.name, file, ...full, ...(full.verified ? { covers: 'header+payload' as const } : {}) };
  }
  return {
    package: pkg.name,
    file,
    ...(header ?? { signed: false, verified: false, keyId: '', reason: 'not signed' }),
  };
}

/** Where the main header starts: after the 96-byte lead and the signature header padded to 8 bytes. */
async function mainHeaderOffset(file: string): Promise<number> {
  const intro = await readRange(file, 96, 112);
  if (intro.length < 16 || intro.readUIntBE(0, 3) !== 0x8eade8)
    throw new RpmSourceError(`${file}: no rpm signature header`, { path: file });
  const end = 112 + intro.readUInt32BE(8) * 16 + intro.readUInt32BE(12);
  return end + ((8 - (end % 8)) % 8);
}

async function readRange(file: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
