import {
  compressorMagicBytes,
  decompress,
  DecompressError,
  isDistroforgeError,
  sniffCompressor,
} from '@distroforge/core';
import type { ByteReader } from './byte-reader.js';
import { rpmError } from './errors.js';

/**
 * Streams the decompressed payload. The compressor is sniffed from the payload's first bytes
 * rather than trusted from the header; an uncompressed payload starts with the cpio magic. The
 * decoding is core's `decompress` (gzip in-process, the others through xz/zstd/bzip2); xz stops
 * after its first stream, as rpm's own reader does.
 */
export async function* decompressPayload(reader: ByteReader, declared: string | undefined): AsyncGenerator<Buffer> {
  const head = await reader.peek(compressorMagicBytes);
  if (head.length === 0) throw rpmError('ERR_RPM_TRUNCATED', 'the package has no payload', { value: declared });
  if (head.subarray(0, 5).toString('latin1') === '07070') {
    yield* reader.rest();
    return;
  }
  const compressor = sniffCompressor(head);
  if (compressor === undefined) {
    throw rpmError(
      'ERR_RPM_UNKNOWN_COMPRESSOR',
      `unknown payload compression (header says ${declared ?? 'nothing'}, payload starts with ${head.toString('hex')})`,
      {
        value: declared ?? head.toString('hex'),
      },
    );
  }
  try {
    yield* decompress(reader.rest(), compressor, { singleStream: true });
  } catch (error) {
    if (error instanceof DecompressError) {
      const code = error.code === 'ERR_DECOMPRESS_TRUNCATED' ? 'ERR_RPM_TRUNCATED' : 'ERR_RPM_BAD_PAYLOAD';
      throw rpmError(code, `cannot decompress the payload: ${error.message}`, { value: compressor, cause: error });
    }
    // Typed errors (the reader's own, a missing xz) pass; anything else is a failure to read the
    // package itself (the source stream failed), as opposed to a corrupt payload.
    if (isDistroforgeError(error)) throw error;
    throw rpmError('ERR_RPM_READ', `cannot read the package payload: ${(error as Error).message}`, { cause: error });
  }
}
