import { PacmanDatabaseFormatError } from './errors.js';

/** One regular file, directory or link of a tar archive held in memory. */
export interface TarMember {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** The file's bytes (a view into the archive); empty for anything but a file. */
  data: Buffer;
}

/** Bounds on what a header may declare, so a hostile archive is an error, not an allocation. */
export const TAR_LIMITS = { pathBytes: 4095, metaBytes: 64 * 1024 } as const;

const BLOCK = 512;

/**
 * Lists the members of an uncompressed tar archive (ustar, pax and GNU long names, as bsdtar and
 * repo-add write them) held in memory. Every declared size is checked against the bytes present
 * and every header's checksum is verified, so a cut or damaged archive is a
 * `PacmanDatabaseFormatError` naming `origin`, never a silent partial list.
 */
export function tarMembers(archive: Buffer, origin: string): TarMember[] {
  const members: TarMember[] = [];
  const fail = (what: string, offset: number): never => {
    throw new PacmanDatabaseFormatError(`${origin}: ${what} at byte ${offset}`, { path: origin, value: offset });
  };
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  let paxSize: number | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return members; // end-of-archive marker
    if (!checksumMatches(header)) fail('a tar header with a wrong checksum (not a tar archive, or damaged)', offset);
    const type = String.fromCharCode(header[156]!);
    const declared = paxSize ?? readNumber(header.subarray(124, 136));
    if (declared === undefined) fail('a tar header with an unreadable size', offset);
    const size = declared!;
    const start = offset + BLOCK;
    if (size > archive.length - start) fail(`a member declaring ${size} bytes, more than the archive holds`, offset);
    const data = archive.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'L' || type === 'g') {
      if (size > TAR_LIMITS.metaBytes)
        fail(`an extended header of ${size} bytes (limit ${TAR_LIMITS.metaBytes})`, start - BLOCK);
      if (type === 'L') longName = cString(data);
      if (type === 'x')
        ({ path: paxPath, size: paxSize } = parsePax(data, () => fail('a malformed pax header', start - BLOCK)));
      continue;
    }
    const name = longName ?? paxPath ?? ustarName(header);
    longName = paxPath = paxSize = undefined;
    if (Buffer.byteLength(name) > TAR_LIMITS.pathBytes)
      fail(`a member path of ${Buffer.byteLength(name)} bytes`, start - BLOCK);
    const kind: TarMember['type'] =
      type === '0' || type === '\0' || type === '7'
        ? 'file'
        : type === '5'
          ? 'directory'
          : type === '2'
            ? 'symlink'
            : type === '1'
              ? 'hardlink'
              : 'other';
    members.push({ path: name, type: kind, data: kind === 'file' ? data : Buffer.alloc(0) });
  }
  // No end marker: accepted only when the archive ends exactly after a member (some writers omit it).
  if (offset !== archive.length) fail('a truncated archive', offset);
  return members;
}

function checksumMatches(header: Buffer): boolean {
  const stored = readNumber(header.subarray(148, 156));
  let sum = 0;
  for (let k = 0; k < BLOCK; k++) sum += k >= 148 && k < 156 ? 0x20 : header[k]!;
  return stored === sum;
}

/** An octal field (NUL/space padded) or GNU base-256; undefined when it is neither. */
function readNumber(field: Buffer): number | undefined {
  if (field[0]! & 0x80) {
    let value = 0;
    for (let k = 1; k < field.length; k++) value = value * 256 + field[k]!;
    return Number.isSafeInteger(value) && (field[0]! & 0x7f) === 0 ? value : undefined;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (!/^[0-7]*$/.test(text)) return undefined;
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function cString(data: Buffer): string {
  const end = data.indexOf(0);
  return data.subarray(0, end < 0 ? data.length : end).toString('utf8');
}

function ustarName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const magic = header.subarray(257, 263).toString('latin1');
  const prefix = magic.startsWith('ustar') ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** pax records `LEN key=value\n`; only `path` and `size` matter here. */
function parsePax(data: Buffer, bad: () => never): { path: string | undefined; size: number | undefined } {
  let path: string | undefined;
  let size: number | undefined;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.subarray(at, space).toString('latin1'));
    if (space < 0 || !Number.isSafeInteger(length) || length <= space - at || at + length > data.length) bad();
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) bad();
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') path = value;
    if (key === 'size') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) bad();
      size = Number(value);
    }
    at += length;
  }
  return { path, size };
}
