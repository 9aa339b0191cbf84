import { createHash } from 'node:crypto';
import { InvalidDiskOptionsError } from './errors.js';

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A GUID derived from a seed and a purpose (e.g. `partition:root`): the first 16 bytes of
 * SHA-256(seed NUL purpose) with the RFC 4122 version-4 and variant bits set, so equal inputs give
 * equal GUIDs and different images (different seeds) do not share them. Upper case, as GPT tools print.
 */
export function deriveGuid(seed: string, purpose: string): string {
  const bytes = createHash('sha256').update(`${seed}\0${purpose}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function isGuid(text: string): boolean {
  return guidPattern.test(text);
}

/** GPT's on-disk GUID layout: the first three fields little-endian, the rest as written. */
export function guidToBytes(guid: string): Buffer {
  if (!isGuid(guid)) throw new InvalidDiskOptionsError(`not a GUID: ${JSON.stringify(guid)}`, { value: guid });
  const hex = guid.replace(/-/g, '');
  const out = Buffer.from(hex, 'hex');
  out.subarray(0, 4).reverse();
  out.subarray(4, 6).reverse();
  out.subarray(6, 8).reverse();
  return out;
}

export function bytesToGuid(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  const hex = b.toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
