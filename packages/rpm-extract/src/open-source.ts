import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ByteReader } from './byte-reader.js';
import { rpmError } from './errors.js';

/** What the readers accept: a file path, the package bytes, or a readable stream of them. */
export type RpmSource = string | Buffer | Uint8Array | Readable | AsyncIterable<Buffer | Uint8Array>;

// Extraction reads in large chunks; header-only reads in small ones so they stop near the payload.
export const payloadChunkSize = 1 << 20;
export const headerChunkSize = 64 * 1024;

/** A display name for errors. */
export function sourceName(source: RpmSource): string {
  return typeof source === 'string'
    ? source
    : Buffer.isBuffer(source) || source instanceof Uint8Array
      ? '<buffer>'
      : '<stream>';
}

/** Opens a source as a sequential byte reader. */
export async function openSource(source: RpmSource, chunkSize = payloadChunkSize): Promise<ByteReader> {
  const name = sourceName(source);
  if (typeof source === 'string') {
    let size: number;
    try {
      const info = await stat(source);
      if (!info.isFile()) throw new Error('not a regular file');
      size = info.size;
    } catch (cause) {
      throw rpmError('ERR_RPM_READ', `cannot read ${source}: ${(cause as Error).message}`, { path: source, cause });
    }
    return new ByteReader(createReadStream(source, { highWaterMark: chunkSize }), name, size);
  }
  if (source instanceof Uint8Array) {
    const bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    return new ByteReader(oneChunk(bytes, chunkSize), name, bytes.length);
  }
  if (typeof (source as AsyncIterable<Buffer>)[Symbol.asyncIterator] === 'function') {
    return new ByteReader(source as AsyncIterable<Buffer>, name);
  }
  throw rpmError('ERR_RPM_OPTIONS_INVALID', 'source must be a path, a Buffer or a readable stream', {
    value: typeof source,
  });
}

async function* oneChunk(bytes: Buffer, chunkSize: number): AsyncGenerator<Buffer> {
  // Hand out slices so the reader's zero-copy paths behave the same as with a file.
  for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
}
