import { fstatSync, readSync } from 'node:fs';

/** What a tar member is. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

/** One member's header, with pax and GNU long names applied, and where its data starts. */
export interface TarHeader {
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch (pax may give a fraction); undefined when the field is unreadable. */
  mtime: number | undefined;
  /** A link's target; '' for other members. */
  linkpath: string;
  /** Bytes of data (0 for anything but a regular file). */
  size: number;
  devmajor: number;
  devminor: number;
  /** Offset of the member's data in the archive. */
  offset: number;
}

/** Where headers are read from: the archive's length and a reader of byte ranges. */
export interface TarSource {
  readonly length: number;
  read(offset: number, length: number): Buffer;
}

/** Reports malformed input (what is wrong, at which byte) and never returns. */
export type TarFailure = (what: string, offset: number) => never;

/** Bounds on what a header may declare, so a hostile archive is an error, not an allocation. */
export const TAR_LIMITS = { pathBytes: 4095, metaBytes: 64 * 1024 } as const;

const BLOCK = 512;

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

/** Long names and pax values read from extended headers, waiting for the member they describe. */
interface PendingNames {
  longName?: string;
  longLink?: string;
  pax: PaxValues;
}

/** What one 512-byte header block is: an extended header to read, or a member. */
type DecodedHeader =
  | { kind: 'meta'; flag: 'x' | 'L' | 'K' | 'g'; size: number }
  | { kind: 'member'; member: Omit<TarHeader, 'offset'>; size: number };

/** Decodes a header block at `offset` (checksum, size, limits checked), applying and clearing `pending`. */
function decodeHeader(header: Buffer, pending: PendingNames, offset: number, fail: TarFailure): DecodedHeader {
  if (!checksumMatches(header)) fail('a tar header with a wrong checksum (not a tar archive, or damaged)', offset);
  const flag = String.fromCharCode(header[156]!);
  const declared = pending.pax.size ?? readNumberAt(header, 124, 136);
  if (declared === undefined) fail('a tar header with an unreadable size', offset);
  const size = declared!;
  if (flag === 'x' || flag === 'L' || flag === 'K' || flag === 'g') {
    if (size > TAR_LIMITS.metaBytes)
      fail(`an extended header of ${size} bytes (limit ${TAR_LIMITS.metaBytes})`, offset);
    return { kind: 'meta', flag, size };
  }
  const path = pending.longName ?? pending.pax.path ?? ustarName(header);
  const linkpath = pending.longLink ?? pending.pax.linkpath ?? cString(header.subarray(157, 257));
  for (const [field, value] of [
    ['path', path],
    ['link target', linkpath],
  ] as const) {
    if (Buffer.byteLength(value) > TAR_LIMITS.pathBytes)
      fail(`a member ${field} of ${Buffer.byteLength(value)} bytes (limit ${TAR_LIMITS.pathBytes})`, offset);
  }
  const type = TYPES[flag] ?? 'other';
  const member = {
    path,
    type,
    mode: readNumberAt(header, 100, 108) ?? 0o644,
    uid: pending.pax.uid ?? readNumberAt(header, 108, 116) ?? 0,
    gid: pending.pax.gid ?? readNumberAt(header, 116, 124) ?? 0,
    mtime: pending.pax.mtime ?? readNumberAt(header, 136, 148),
    linkpath: type === 'symlink' || type === 'hardlink' ? linkpath : '',
    size: type === 'file' ? size : 0,
    devmajor: readNumberAt(header, 329, 337) ?? 0,
    devminor: readNumberAt(header, 337, 345) ?? 0,
  };
  pending.longName = pending.longLink = undefined;
  pending.pax = {};
  return { kind: 'member', member, size };
}

/** Takes an extended header's data into `pending` for the next member. */
function applyMeta(flag: 'x' | 'L' | 'K' | 'g', data: Buffer, pending: PendingNames, offset: number, fail: TarFailure) {
  if (flag === 'L') pending.longName = cString(data);
  if (flag === 'K') pending.longLink = cString(data);
  if (flag === 'x') pending.pax = parsePax(data, () => fail('a malformed pax header', offset));
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

/**
 * The members of an uncompressed tar archive (ustar, pax and GNU long names and links, as bsdtar
 * and repo-add write them), header by header, without reading any member's data. Every header's
 * checksum is verified and every declared size checked against the archive's length, so a cut or
 * damaged archive is reported through `fail`, never a silent partial list.
 */
export function* tarHeaders(source: TarSource, fail: TarFailure): Generator<TarHeader> {
  let offset = 0;
  const pending: PendingNames = { pax: {} };
  while (offset + BLOCK <= source.length) {
    const block = source.read(offset, BLOCK);
    if (isZero(block)) return; // end-of-archive marker
    const decoded = decodeHeader(block, pending, offset, fail);
    const start = offset + BLOCK;
    if (decoded.size > source.length - start)
      fail(`a member declaring ${decoded.size} bytes, more than the archive holds`, offset);
    const headerAt = offset;
    offset = start + padded(decoded.size);
    if (decoded.kind === 'meta') applyMeta(decoded.flag, source.read(start, decoded.size), pending, headerAt, fail);
    else yield { ...decoded.member, offset: start };
  }
  // No end marker: accepted only when the archive ends exactly after a member (some writers omit it).
  if (offset !== source.length) fail('a truncated archive', offset);
}

/** Receives a regular file's bytes (each chunk only for the call: its memory may be reused), then its end. */
export interface TarMemberData {
  write(chunk: Buffer): void;
  end(): void;
}

/**
 * A tar archive arriving in chunks (from a decompressor), parsed as it comes with the checks of
 * `tarHeaders`: `onMember` gets each member's header (its `offset` is where its data starts in the
 * archive) and returns where a regular file's data goes, or undefined to skip it. `end()` reports a
 * cut archive. Nothing is buffered but a header block and an extended header (at most 64 KiB).
 */
export class TarStreamParser {
  private readonly pending: PendingNames = { pax: {} };
  private offset = 0;
  private block = Buffer.alloc(BLOCK);
  private blockFill = 0;
  private state:
    | { kind: 'header' }
    | { kind: 'meta'; flag: 'x' | 'L' | 'K' | 'g'; data: Buffer; fill: number; at: number; skip: number }
    | { kind: 'data'; left: number; sink: TarMemberData | undefined; skip: number }
    | { kind: 'skip'; left: number }
    | { kind: 'ended' } = { kind: 'header' };

  constructor(
    private readonly onMember: (header: TarHeader) => TarMemberData | undefined,
    private readonly fail: TarFailure,
  ) {}

  /** Whether the end-of-archive marker was read (what follows it is ignored). */
  get ended(): boolean {
    return this.state.kind === 'ended';
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.state.kind !== 'ended') {
      const state = this.state;
      switch (state.kind) {
        case 'header': {
          const take = Math.min(BLOCK - this.blockFill, chunk.length - at);
          chunk.copy(this.block, this.blockFill, at, at + take);
          this.blockFill += take;
          at += take;
          if (this.blockFill === BLOCK) this.headerComplete();
          break;
        }
        case 'meta': {
          const take = Math.min(state.data.length - state.fill, chunk.length - at);
          chunk.copy(state.data, state.fill, at, at + take);
          state.fill += take;
          at += take;
          this.offset += take;
          if (state.fill === state.data.length) {
            applyMeta(state.flag, state.data, this.pending, state.at, this.fail);
            this.state = state.skip > 0 ? { kind: 'skip', left: state.skip } : { kind: 'header' };
          }
          break;
        }
        case 'data': {
          const take = Math.min(state.left, chunk.length - at);
          state.sink?.write(chunk.subarray(at, at + take));
          state.left -= take;
          at += take;
          this.offset += take;
          if (state.left === 0) {
            state.sink?.end();
            this.state = state.skip > 0 ? { kind: 'skip', left: state.skip } : { kind: 'header' };
          }
          break;
        }
        case 'skip': {
          const take = Math.min(state.left, chunk.length - at);
          state.left -= take;
          at += take;
          this.offset += take;
          if (state.left === 0) this.state = { kind: 'header' };
          break;
        }
      }
    }
  }

  /** The archive's bytes are all there: anything but a clean end (a marker, or nothing after a member) is a cut archive. */
  end(): void {
    if (this.state.kind === 'ended') return;
    if (this.state.kind !== 'header' || this.blockFill !== 0)
      this.fail('a truncated archive', this.offset + this.blockFill);
  }

  private headerComplete(): void {
    const at = this.offset;
    this.offset += BLOCK;
    this.blockFill = 0;
    if (isZero(this.block)) {
      this.state = { kind: 'ended' };
      return;
    }
    const decoded = decodeHeader(this.block, this.pending, at, this.fail);
    const skip = padded(decoded.size) - decoded.size;
    if (decoded.kind === 'meta') {
      this.state =
        decoded.size === 0
          ? { kind: 'header' }
          : { kind: 'meta', flag: decoded.flag, data: Buffer.alloc(decoded.size), fill: 0, at, skip };
      if (decoded.size === 0) applyMeta(decoded.flag, Buffer.alloc(0), this.pending, at, this.fail);
      return;
    }
    const sink = this.onMember({ ...decoded.member, offset: this.offset });
    if (decoded.member.type === 'file') {
      if (decoded.size === 0) {
        sink?.end();
        this.state = { kind: 'header' };
      } else this.state = { kind: 'data', left: decoded.size, sink, skip };
    } else this.state = decoded.size === 0 ? { kind: 'header' } : { kind: 'skip', left: padded(decoded.size) };
  }
}

/** An archive held in memory. */
export function memoryTarSource(archive: Buffer): TarSource {
  return { length: archive.length, read: (offset, length) => archive.subarray(offset, offset + length) };
}

/** An archive in an open file, read by range with positioned reads (no stream, no whole-file buffer). */
export function fileTarSource(fd: number): TarSource {
  const length = fstatSync(fd).size;
  return {
    length,
    read(offset, size) {
      const buffer = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const n = readSync(fd, buffer, got, size - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return buffer.subarray(0, got);
    },
  };
}

function isZero(block: Buffer): boolean {
  for (let k = 0; k < block.length; k++) if (block[k] !== 0) return false;
  return true;
}

function checksumMatches(header: Buffer): boolean {
  const stored = readNumberAt(header, 148, 156);
  let sum = 0;
  for (let k = 0; k < BLOCK; k++) sum += header[k]!;
  // The checksum field itself counts as eight spaces.
  for (let k = 148; k < 156; k++) sum += 0x20 - header[k]!;
  return stored === sum;
}

/**
 * The number in `block[start, end)`: an octal field (NUL/space padded) or GNU base-256; undefined
 * when it is neither. Read in place (a header has eight such fields: no string, regular
 * expression or subarray per field): trailing NULs and spaces and leading spaces dropped, then
 * octal digits only (none: 0).
 */
function readNumberAt(block: Buffer, start: number, end: number): number | undefined {
  if (block[start]! & 0x80) {
    let value = 0;
    for (let k = start + 1; k < end; k++) value = value * 256 + block[k]!;
    return Number.isSafeInteger(value) && (block[start]! & 0x7f) === 0 ? value : undefined;
  }
  let last = end;
  while (last > start && (block[last - 1] === 0 || block[last - 1] === 0x20)) last--;
  let first = start;
  while (first < last && block[first] === 0x20) first++;
  let value = 0;
  for (let k = first; k < last; k++) {
    const digit = block[k]! - 0x30;
    if (digit < 0 || digit > 7) return undefined;
    value = value * 8 + digit;
  }
  return value;
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

interface PaxValues {
  path?: string;
  linkpath?: string;
  size?: number;
  mtime?: number;
  uid?: number;
  gid?: number;
}

/** pax records `LEN key=value\n`: the keys that change what a member is; the rest (xattrs, times besides mtime) are not recorded by pacman. */
function parsePax(data: Buffer, bad: () => never): PaxValues {
  const values: PaxValues = {};
  const whole = (value: string): number => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) bad();
    return Number(value);
  };
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
    if (key === 'path') values.path = value;
    else if (key === 'linkpath') values.linkpath = value;
    else if (key === 'size') values.size = whole(value);
    else if (key === 'uid') values.uid = whole(value);
    else if (key === 'gid') values.gid = whole(value);
    else if (key === 'mtime') {
      if (!/^-?\d+(\.\d+)?$/.test(value)) bad();
      values.mtime = Number(value);
    }
    at += length;
  }
  return values;
}
