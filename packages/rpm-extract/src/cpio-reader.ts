import type { ByteReader } from './byte-reader.js';
import { rpmError } from './errors.js';
import { maxCpioNameSize } from './limits.js';

/** One archive member. Exactly one of `name` (newc) and `index` (stripped) is set. */
export interface CpioEntry {
  /** Member name as stored (newc), e.g. `./usr/bin/hello`. */
  name: string | undefined;
  /** Header file index (stripped `07070X` members of rpm >= 4.12 large-file payloads). */
  index: number | undefined;
  mode: number;
  nlink: number;
  size: number;
  /** The member's data, streamed; must be consumed (or is skipped) before the next member. */
  readonly body: AsyncGenerator<Buffer>;
  /** The whole data at once if it is already buffered (consuming it), else undefined: then use `body`. */
  bodyNow(): Buffer | undefined;
}

const trailer = 'TRAILER!!!';
const newcHeaderSize = 110;

/**
 * Reads an rpm payload archive: SVR4 newc (`070701`, and `070702` with checksums) and the stripped
 * `07070X` members rpm >= 4.12 writes for large-file packages, where all metadata lives in the
 * package header and the member only names the file index. `sizeOfIndex` gives a stripped member's size.
 */
export async function* readCpioEntries(
  reader: ByteReader,
  sizeOfIndex: (index: number) => number,
): AsyncGenerator<CpioEntry> {
  for (;;) {
    const magic = (reader.readNow(6) ?? (await reader.read(6, 'archive member header'))).toString('latin1');
    let entry: CpioEntry;
    if (magic === '07070X') {
      const index = parseHex(
        reader.readNow(8) ?? (await reader.read(8, 'stripped member header')),
        0,
        8,
        'file index',
        reader.position,
      );
      await skipPadding(reader);
      const size = sizeOfIndex(index);
      entry = member(reader, undefined, index, 0, 1, size);
    } else if (magic === '070701' || magic === '070702') {
      const at = reader.position - 6;
      const fields = reader.readNow(newcHeaderSize - 6) ?? (await reader.read(newcHeaderSize - 6, 'newc header'));
      const field = (i: number, what: string) => parseHex(fields, i * 8, 8, what, at);
      const mode = field(1, 'mode');
      const nlink = field(4, 'nlink');
      const size = field(6, 'filesize');
      const nameSize = field(11, 'namesize');
      if (nameSize < 1)
        throw rpmError('ERR_RPM_BAD_PAYLOAD', `archive member at ${at}: bad name size ${nameSize}`, {
          value: nameSize,
        });
      if (nameSize > maxCpioNameSize) {
        throw rpmError(
          'ERR_RPM_LIMIT_EXCEEDED',
          `archive member at ${at}: a name of ${nameSize} bytes is longer than PATH_MAX allows (${maxCpioNameSize} with ./ and NUL)`,
          { value: nameSize },
        );
      }
      const nameBytes = reader.readNow(nameSize) ?? (await reader.read(nameSize, 'archive member name'));
      if (nameBytes[nameSize - 1] !== 0)
        throw rpmError('ERR_RPM_BAD_PAYLOAD', `archive member at ${at}: name is not NUL-terminated`, { value: at });
      const name = nameBytes.toString('utf8', 0, nameSize - 1);
      await skipPadding(reader);
      if (name === trailer) return;
      entry = member(reader, name, undefined, mode, nlink, size);
    } else {
      throw rpmError(
        'ERR_RPM_BAD_PAYLOAD',
        `bad archive member magic ${JSON.stringify(magic)} at payload offset ${reader.position - 6}`,
        { value: magic },
      );
    }
    const end = reader.position + entry.size;
    yield entry;
    // Skip whatever the consumer left unread, then the alignment padding.
    if (reader.position < end) await reader.skip(end - reader.position, 'archive member data');
    await skipPadding(reader);
  }
}

/**
 * An entry whose streamed body (an async generator, and its description for errors) is made only
 * when asked for: most members of a package are small and taken whole with `bodyNow`.
 */
function member(
  reader: ByteReader,
  name: string | undefined,
  index: number | undefined,
  mode: number,
  nlink: number,
  size: number,
): CpioEntry {
  let body: AsyncGenerator<Buffer> | undefined;
  return {
    name,
    index,
    mode,
    nlink,
    size,
    get body() {
      body ??= reader.take(size, name === undefined ? `archive member #${index}` : `archive member ${name}`);
      return body;
    },
    bodyNow: () => reader.readNow(size),
  };
}

async function skipPadding(reader: ByteReader): Promise<void> {
  const pad = (4 - (reader.position % 4)) % 4;
  if (pad && !reader.readNow(pad)) await reader.skip(pad, 'archive padding');
}

function parseHex(bytes: Buffer, start: number, length: number, what: string, at: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const c = bytes[i]!;
    const digit =
      c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (digit < 0)
      throw rpmError('ERR_RPM_BAD_PAYLOAD', `archive member at ${at}: ${what} is not hexadecimal`, {
        value: bytes.toString('latin1', start, start + length),
      });
    value = value * 16 + digit;
  }
  return value;
}
