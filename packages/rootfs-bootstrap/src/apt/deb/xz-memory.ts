import xzDecompress from 'xz-decompress';
import { DebFormatError } from '../../errors.js';

/**
 * Decompresses a small in-memory `.xz` stream (a `.deb`'s control tarball: a few KiB) with the
 * WebAssembly build of xz-embedded. Spawning `xz` for it would cost more than decoding: fork time
 * grows with the parent's heap, and a bootstrap reads one control tarball per package. More than
 * `maxBytes` of output is an error (a few KiB can expand to gigabytes).
 */
export async function xzDecompressSmall(data: Uint8Array, maxBytes: number): Promise<Buffer> {
  const reader = new xzDecompress.XzReadableStream(new Blob([data]).stream()).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new DebFormatError(`xz data expands beyond ${maxBytes} bytes`, { value: total });
    }
    chunks.push(value);
  }
}
