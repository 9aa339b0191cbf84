import type { ByteReader } from './byte-reader.js';
import { rpmError } from './errors.js';
import { TagType } from './tags.js';

/** One decoded header entry. Numbers for every integer type (64-bit values beyond 2^53 are refused). */
export type TagValue = number[] | string | string[] | Buffer;

export interface HeaderEntry {
  tag: number;
  type: number;
  count: number;
  value: TagValue;
}

/** A parsed header structure (signature or main header) plus its exact bytes for digests. */
export interface HeaderBlob {
  entries: Map<number, HeaderEntry>;
  /** The header as stored: 16-byte intro, index and data (no trailing padding). */
  raw: Buffer;
}

const headerMagic = Buffer.from([0x8e, 0xad, 0xe8, 0x01]);
// rpm's own sanity limits (hdrchkTags / hdrchkData): 64 Ki entries, 256 MiB of data.
const maxEntries = 0xffff;
const maxData = 0x0fffffff;
const typeSizes: Record<number, number> = {
  [TagType.Char]: 1,
  [TagType.Int8]: 1,
  [TagType.Int16]: 2,
  [TagType.Int32]: 4,
  [TagType.Int64]: 8,
  [TagType.Bin]: 1,
};

/** Reads one header structure from the reader (`what` names it in errors). */
export async function readHeaderBlob(reader: ByteReader, what: string): Promise<HeaderBlob> {
  const intro = await reader.read(16, `${what} intro`);
  if (!intro.subarray(0, 4).equals(headerMagic)) {
    throw rpmError(
      'ERR_RPM_BAD_MAGIC',
      `${what}: bad header magic ${intro.subarray(0, 4).toString('hex')} at offset ${reader.position - 16}`,
      {
        value: intro.subarray(0, 4).toString('hex'),
      },
    );
  }
  const indexCount = intro.readUInt32BE(8);
  const dataSize = intro.readUInt32BE(12);
  if (indexCount === 0 || indexCount > maxEntries || dataSize > maxData) {
    throw rpmError(
      'ERR_RPM_HEADER_OVERFLOW',
      `${what}: implausible size (${indexCount} entries, ${dataSize} data bytes)`,
      { value: { indexCount, dataSize } },
    );
  }
  const size = indexCount * 16 + dataSize;
  // Against what the source can still hold (known for files and buffers) before reading any of it.
  if (reader.length !== undefined && reader.position + size > reader.length) {
    throw rpmError(
      'ERR_RPM_TRUNCATED',
      `${what} declares ${size} bytes of index and data at offset ${reader.position}, the package has ${reader.length - reader.position} left`,
      {
        value: size,
      },
    );
  }
  const body = await reader.read(size, `${what} index and data`);
  const raw = Buffer.concat([intro, body]);
  return { entries: parseEntries(body, indexCount, dataSize, what), raw };
}

function parseEntries(body: Buffer, indexCount: number, dataSize: number, what: string): Map<number, HeaderEntry> {
  const data = body.subarray(indexCount * 16);
  const entries = new Map<number, HeaderEntry>();
  // Bytes the entries decoded so far cover. Entries do not share data in headers rpm writes; were
  // they allowed to, 64 Ki entries could each decode the same megabyte again (a string array of
  // empty strings is a value per byte), a 64 Ki-fold amplification of the header in memory.
  let covered = 0;
  for (let i = 0; i < indexCount; i++) {
    const at = i * 16;
    const tag = body.readUInt32BE(at);
    const type = body.readUInt32BE(at + 4);
    const offset = body.readInt32BE(at + 8);
    const count = body.readUInt32BE(at + 12);
    const where = `${what} tag ${tag}`;
    if (offset < 0 || offset > dataSize) {
      throw rpmError(
        'ERR_RPM_HEADER_OVERFLOW',
        `${where}: data offset ${offset} outside the ${dataSize}-byte data area`,
        { value: offset },
      );
    }
    if (count === 0 || count > dataSize) {
      throw rpmError('ERR_RPM_HEADER_OVERFLOW', `${where}: implausible count ${count}`, { value: count });
    }
    const fixed = typeSizes[type];
    // Strings take at least their NUL, so `count` bounds their bytes from below before decoding.
    if (covered + (fixed ?? 1) * count > dataSize) {
      throw rpmError(
        'ERR_RPM_HEADER_OVERFLOW',
        `${where}: ${count} values overlap other entries (${covered} of ${dataSize} data bytes already used)`,
        { value: count },
      );
    }
    const { value, end } = decodeValue(data, type, offset, count, where);
    covered += end - offset;
    if (covered > dataSize)
      throw rpmError('ERR_RPM_HEADER_OVERFLOW', `${where}: values overlap other entries`, { value: count });
    entries.set(tag, { tag, type, count, value });
  }
  return entries;
}

/** The value and the offset just past its bytes. */
function decodeValue(
  data: Buffer,
  type: number,
  offset: number,
  count: number,
  where: string,
): { value: TagValue; end: number } {
  const fixed = typeSizes[type];
  if (fixed !== undefined) {
    const end = offset + fixed * count;
    if (end > data.length)
      throw rpmError('ERR_RPM_HEADER_OVERFLOW', `${where}: ${count} values run past the data area`, { value: count });
    if (type === TagType.Bin) return { value: Buffer.from(data.subarray(offset, end)), end };
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const at = offset + i * fixed;
      if (fixed === 1) out[i] = data[at]!;
      else if (fixed === 2) out[i] = data.readUInt16BE(at);
      else if (fixed === 4) out[i] = data.readUInt32BE(at);
      else {
        const big = data.readBigUInt64BE(at);
        if (big > BigInt(Number.MAX_SAFE_INTEGER))
          throw rpmError('ERR_RPM_HEADER_OVERFLOW', `${where}: 64-bit value ${big} exceeds 2^53`, {
            value: big.toString(),
          });
        out[i] = Number(big);
      }
    }
    return { value: out, end };
  }
  if (type === TagType.String || type === TagType.StringArray || type === TagType.I18nString) {
    if (type === TagType.String && count !== 1)
      throw rpmError('ERR_RPM_BAD_HEADER', `${where}: string with count ${count}`, { value: count });
    const strings: string[] = [];
    let at = offset;
    for (let i = 0; i < count; i++) {
      const end = data.indexOf(0, at);
      if (end < 0)
        throw rpmError('ERR_RPM_HEADER_OVERFLOW', `${where}: string ${i} is not terminated inside the data area`, {
          value: at,
        });
      strings.push(data.toString('utf8', at, end));
      at = end + 1;
    }
    return { value: type === TagType.String ? strings[0]! : strings, end: at };
  }
  throw rpmError('ERR_RPM_BAD_HEADER', `${where}: unknown data type ${type}`, { value: type });
}

/** Typed accessors over a header's entries; absent tags give undefined, wrong types throw. */
export class HeaderTags {
  constructor(
    readonly entries: Map<number, HeaderEntry>,
    private readonly what: string,
  ) {}

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  string(tag: number): string | undefined {
    const v = this.entries.get(tag)?.value;
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    // I18N strings: the first is the untranslated (C locale) text.
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
    throw this.typeError(tag, 'a string');
  }

  strings(tag: number): string[] | undefined {
    const v = this.entries.get(tag)?.value;
    if (v === undefined) return undefined;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'string')) return v as string[];
    throw this.typeError(tag, 'a string array');
  }

  numbers(tag: number): number[] | undefined {
    const v = this.entries.get(tag)?.value;
    if (v === undefined) return undefined;
    if (Array.isArray(v) && typeof v[0] === 'number') return v as number[];
    throw this.typeError(tag, 'integers');
  }

  number(tag: number): number | undefined {
    return this.numbers(tag)?.[0];
  }

  binary(tag: number): Buffer | undefined {
    const v = this.entries.get(tag)?.value;
    if (v === undefined) return undefined;
    if (Buffer.isBuffer(v)) return v;
    throw this.typeError(tag, 'binary data');
  }

  private typeError(tag: number, wanted: string) {
    return rpmError('ERR_RPM_BAD_HEADER', `${this.what} tag ${tag} should hold ${wanted}`, { value: tag });
  }
}
