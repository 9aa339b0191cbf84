import { CpioFieldOverflowError } from './errors.js';

/** The numeric fields of a newc (070701) header, in on-disk order. */
export interface NewcHeaderFields {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  filesize: number;
  devmajor: number;
  devminor: number;
  rdevmajor: number;
  rdevminor: number;
  /** Always 0 for 070701 (the 070702 "crc" format would put a checksum here). */
  check: number;
}

export const NEWC_MAGIC = '070701';
export const NEWC_HEADER_SIZE = 110;
const FIELD_ORDER = [
  'ino',
  'mode',
  'uid',
  'gid',
  'nlink',
  'mtime',
  'filesize',
  'devmajor',
  'devminor',
  'rdevmajor',
  'rdevminor',
] as const;

/** Bytes needed after `length` bytes to reach the next multiple of 4. */
export function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

/**
 * Encodes header + NUL-terminated name + padding to a 4-byte boundary. Every value is checked:
 * one that does not fit 8 hex digits throws `CpioFieldOverflowError` naming the field.
 */
export function encodeNewcHeader(fields: NewcHeaderFields, name: string): Buffer {
  const nameBytes = Buffer.byteLength(name) + 1;
  const total = NEWC_HEADER_SIZE + nameBytes;
  const out = Buffer.alloc(total + pad4(total));
  out.write(NEWC_MAGIC, 0, 'latin1');
  let offset = 6;
  for (const field of FIELD_ORDER) {
    writeHex(out, offset, fields[field], field, name);
    offset += 8;
  }
  writeHex(out, offset, nameBytes, 'namesize', name);
  writeHex(out, offset + 8, fields.check, 'check', name);
  out.write(name, NEWC_HEADER_SIZE, 'utf8');
  return out;
}

/**
 * Writes header + name + NUL + padding straight into `target` at `offset` (which must have room:
 * `newcHeaderLength(name)` bytes); returns the bytes written. Same checks as `encodeNewcHeader`.
 */
export function writeNewcHeader(
  target: Buffer,
  offset: number,
  fields: NewcHeaderFields,
  name: string,
  nameBytes = Buffer.byteLength(name),
): number {
  // Digits written as bytes: formatting strings made most of the garbage on large trees.
  for (let i = 0; i < 6; i++) target[offset + i] = MAGIC_BYTES[i] as number;
  let at = offset + 6;
  for (const field of FIELD_ORDER) {
    putHex(target, at, fields[field], field, name);
    at += 8;
  }
  putHex(target, at, nameBytes + 1, 'namesize', name);
  putHex(target, at + 8, fields.check, 'check', name);
  target.write(name, offset + NEWC_HEADER_SIZE, 'utf8');
  const end = NEWC_HEADER_SIZE + nameBytes + 1;
  const total = end + pad4(end);
  target.fill(0, offset + end - 1, offset + total);
  return total;
}

/** Bytes a header with this name takes, padding included. */
export function newcHeaderLength(nameBytes: number): number {
  const end = NEWC_HEADER_SIZE + nameBytes + 1;
  return end + pad4(end);
}

const MAGIC_BYTES = Buffer.from(NEWC_MAGIC, 'latin1');
/** The two hex digits (ASCII, upper case) of each byte value. */
const HIGH_DIGIT = new Uint8Array(256);
const LOW_DIGIT = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  HIGH_DIGIT[byte] = '0123456789ABCDEF'.charCodeAt(byte >> 4);
  LOW_DIGIT[byte] = '0123456789ABCDEF'.charCodeAt(byte & 15);
}

/** Eight upper-case hex digits of `value` at `offset`; a value that does not fit is an error. */
function putHex(out: Buffer, offset: number, value: number, field: string, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new CpioFieldOverflowError(field, value, name);
  for (let shift = 24, at = offset; shift >= 0; shift -= 8, at += 2) {
    const byte = (value >>> shift) & 0xff;
    out[at] = HIGH_DIGIT[byte] as number;
    out[at + 1] = LOW_DIGIT[byte] as number;
  }
}

function writeHex(out: Buffer, offset: number, value: number, field: string, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new CpioFieldOverflowError(field, value, name);
  out.write(value.toString(16).toUpperCase().padStart(8, '0'), offset, 'latin1');
}
