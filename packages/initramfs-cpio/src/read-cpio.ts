import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { decompress, DecompressError, fileTypeOfMode } from '@distroforge/core';
import { ByteReader } from './_byte-reader.js';
import type { CpioEntryType } from './cpio-entry.js';
import type { Compression } from './compress.js';
import { detectCompression } from './detect-compression.js';
import { NEWC_HEADER_SIZE, pad4 } from './encode-newc-header.js';
import { CpioCorruptError, CpioLimitError, CpioTruncatedError } from './errors.js';

/** Everything a newc header says about one member. */
export interface CpioListEntry {
  name: string;
  type: CpioEntryType;
  /** Permission bits (0..0o7777); `rawMode` has the type bits too. */
  mode: number;
  rawMode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  size: number;
  ino: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  check: number;
  /** Symlink target (the member's data). */
  target?: string;
  /** Index of the archive this member belongs to when several are concatenated (0-based). */
  archive: number;
  /** How that archive was compressed. */
  compression: Compression;
}

/** A member as the reader yields it: metadata plus its data, readable once before the next member. */
export interface CpioReadEntry extends CpioListEntry {
  body(): AsyncIterable<Buffer>;
}

export type CpioSource = string | Uint8Array | AsyncIterable<Buffer>;

const FIELDS = [
  'ino',
  'rawMode',
  'uid',
  'gid',
  'nlink',
  'mtime',
  'size',
  'devMajor',
  'devMinor',
  'rdevMajor',
  'rdevMinor',
  'namesize',
  'check',
] as const;
/** Linux's PATH_MAX, as the kernel's initramfs unpacker bounds names and symlink targets: nothing longer can exist. */
export const PATH_MAX = 4096;

/**
 * Reads newc (070701/070702) archives: several concatenated, each optionally compressed (gzip,
 * zstd, xz; detected by magic), as the kernel unpacks an initramfs. Yields members in order.
 * A damaged header is `ERR_CPIO_CORRUPT`; input that stops early is `ERR_CPIO_TRUNCATED`. Every
 * length read from a header is bounded before anything is allocated for it: names and symlink
 * targets over PATH_MAX are `ERR_CPIO_LIMIT`, and data larger than the rest of an input of known
 * length is `ERR_CPIO_TRUNCATED` at once. File data is streamed, never held whole.
 */
export async function* readCpio(source: CpioSource, options: { name?: string } = {}): AsyncGenerator<CpioReadEntry> {
  const name = options.name ?? (typeof source === 'string' ? source : '<cpio>');
  const stream: AsyncIterable<Buffer> =
    typeof source === 'string'
      ? createReadStream(source, { highWaterMark: 1 << 20 })
      : source instanceof Uint8Array
        ? once(Buffer.from(source.buffer, source.byteOffset, source.byteLength))
        : source;
  const total =
    typeof source === 'string'
      ? await regularFileSize(source)
      : source instanceof Uint8Array
        ? source.byteLength
        : undefined;
  const counter = { archive: 0 };
  yield* readArchives(stream, 'none', name, counter, total);
  if (counter.archive === 0) throw new CpioTruncatedError(`${name}: empty input, no cpio archive`, { path: name });
}

/** Core's decoder, its errors as this package's: compressed data cut short is ERR_CPIO_TRUNCATED, as an archive cut short is. */
async function* decompressed(
  source: AsyncIterable<Buffer>,
  method: Exclude<Compression, 'none'>,
  name: string,
): AsyncGenerator<Buffer> {
  try {
    yield* decompress(source, method, { origin: name });
  } catch (error) {
    if (!(error instanceof DecompressError)) throw error;
    const Typed = error.code === 'ERR_DECOMPRESS_TRUNCATED' ? CpioTruncatedError : CpioCorruptError;
    throw new Typed(error.message, { path: name, value: method, cause: error });
  }
}

async function* readArchives(
  stream: AsyncIterable<Buffer>,
  compression: Compression,
  name: string,
  counter: { archive: number },
  total?: number,
): AsyncGenerator<CpioReadEntry> {
  const reader = new ByteReader(stream[Symbol.asyncIterator](), total);
  const truncated = (what: string) =>
    new CpioTruncatedError(`${name}: input ends inside ${what} (offset ${reader.offset})`, { path: name });
  let inArchive = false;
  for (;;) {
    if (!inArchive) {
      // Between archives the kernel skips NUL padding; so do we.
      for (;;) {
        const head = await reader.peek(512);
        const zeros = leadingZeros(head);
        if (zeros === 0) break;
        await reader.skip(zeros);
      }
      const head = await reader.peek(6);
      if (head.length === 0) return;
      const method = detectCompression(head);
      if (method) {
        yield* readArchives(decompressed(reader.rest(), method, name), method, name, counter);
        return;
      }
    }
    const magic = (await reader.peek(6)).toString('latin1');
    if (magic.length === 6 && magic !== '070701' && magic !== '070702') {
      throw new CpioCorruptError(
        `${name}: bad magic ${JSON.stringify(magic)} at offset ${reader.offset} (not a newc archive)`,
        { path: name, value: magic },
      );
    }
    const raw = await reader.read(NEWC_HEADER_SIZE);
    if (!raw) throw truncated('a header');
    if (!inArchive) {
      inArchive = true;
      counter.archive++;
    }
    const values = parseFields(raw, name, reader.offset - NEWC_HEADER_SIZE);
    if (values.namesize === 0)
      throw new CpioCorruptError(
        `${name}: impossible name size 0 in the header at offset ${reader.offset - NEWC_HEADER_SIZE}`,
        { path: name, value: 0 },
      );
    if (values.namesize > PATH_MAX) {
      // Name the member by what its name starts with: reading it whole is what the bound prevents.
      const start = (await reader.peek(64)).toString('utf8');
      throw new CpioLimitError(
        name,
        'name size',
        values.namesize,
        PATH_MAX,
        `the member at offset ${reader.offset - NEWC_HEADER_SIZE} (name starting ${JSON.stringify(start)})`,
      );
    }
    const nameBytes = await reader.read(values.namesize + pad4(NEWC_HEADER_SIZE + values.namesize));
    if (!nameBytes) throw truncated('a member name');
    if (nameBytes[values.namesize - 1] !== 0)
      throw new CpioCorruptError(`${name}: member name is not NUL-terminated`, { path: name });
    const memberName = nameBytes.toString('utf8', 0, values.namesize - 1);
    // The kernel reads names as C strings: a NUL inside would make it extract a different name than we list.
    if (nameBytes.indexOf(0) !== values.namesize - 1)
      throw new CpioCorruptError(`${name}: member name ${JSON.stringify(memberName)} contains a NUL byte`, {
        path: name,
        value: memberName,
      });
    const remaining = reader.remaining();
    if (remaining !== undefined && values.size > remaining) {
      throw new CpioTruncatedError(
        `${name}: ${memberName} declares ${values.size} bytes of data but only ${remaining} remain in the input`,
        { path: name, value: values.size },
      );
    }
    if (memberName === 'TRAILER!!!') {
      if (!(await reader.skip(values.size + pad4(values.size)))) throw truncated('the trailer');
      inArchive = false;
      continue;
    }
    const type = fileTypeOfMode(values.rawMode);
    if (!type)
      throw new CpioCorruptError(`${name}: ${memberName}: unknown file type in mode ${values.rawMode.toString(8)}`, {
        path: name,
        value: values.rawMode,
      });
    const entry: CpioListEntry = {
      name: memberName,
      type,
      mode: values.rawMode & 0o7777,
      rawMode: values.rawMode,
      uid: values.uid,
      gid: values.gid,
      nlink: values.nlink,
      mtime: values.mtime,
      size: values.size,
      ino: values.ino,
      devMajor: values.devMajor,
      devMinor: values.devMinor,
      rdevMajor: values.rdevMajor,
      rdevMinor: values.rdevMinor,
      check: values.check,
      archive: counter.archive - 1,
      compression,
    };
    if (type === 'symlink') {
      if (values.size > PATH_MAX)
        throw new CpioLimitError(name, 'symlink target size', values.size, PATH_MAX, memberName);
      const target = await reader.read(values.size + pad4(values.size));
      if (!target) throw truncated(`the target of ${memberName}`);
      entry.target = target.toString('utf8', 0, values.size);
      const nul = target.indexOf(0);
      if (nul !== -1 && nul < values.size)
        throw new CpioCorruptError(`${name}: the symlink target of ${memberName} contains a NUL byte`, {
          path: name,
          value: memberName,
        });
      yield { ...entry, body: async function* () {} };
      continue;
    }
    let left = values.size;
    const body = async function* (): AsyncGenerator<Buffer> {
      while (left > 0) {
        const part = await reader.readSome(left);
        if (!part) throw truncated(`the data of ${memberName}`);
        left -= part.length;
        yield part;
      }
    };
    yield { ...entry, body };
    if (left > 0 && !(await reader.skip(left))) throw truncated(`the data of ${memberName}`);
    left = 0;
    if (!(await reader.skip(pad4(values.size)))) throw truncated(`the padding after ${memberName}`);
  }
}

function parseFields(raw: Buffer, name: string, offset: number): Record<(typeof FIELDS)[number], number> {
  const out = {} as Record<(typeof FIELDS)[number], number>;
  FIELDS.forEach((field, i) => {
    const text = raw.toString('latin1', 6 + i * 8, 14 + i * 8);
    if (!/^[0-9a-fA-F]{8}$/.test(text))
      throw new CpioCorruptError(
        `${name}: field ${field} is not hexadecimal (${JSON.stringify(text)}) in the header at offset ${offset}`,
        { path: name, value: text },
      );
    out[field] = Number.parseInt(text, 16);
  });
  return out;
}

/** Size of a regular file (known length), undefined for pipes and devices (or when stat fails: the read will report it). */
async function regularFileSize(path: string): Promise<number | undefined> {
  const stats = await stat(path).catch(() => undefined);
  return stats?.isFile() ? stats.size : undefined;
}

async function* once(buffer: Buffer): AsyncGenerator<Buffer> {
  yield buffer;
}

function leadingZeros(head: Buffer): number {
  let n = 0;
  while (n < head.length && head[n] === 0) n++;
  return n;
}

/** Lists every member of an archive (all header fields, symlink targets), reading no data into memory. */
export async function listCpio(source: CpioSource, options: { name?: string } = {}): Promise<CpioListEntry[]> {
  const out: CpioListEntry[] = [];
  for await (const { body: _body, ...entry } of readCpio(source, options)) out.push(entry);
  return out;
}
