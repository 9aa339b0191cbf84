import { compressionOfFileName, decompress, type ByteChunks } from '@distroforge/core';

/**
 * The whole of an index, comps or metadata file, decompressed as its name's suffix says (`.xz`,
 * `.gz`, `.zst`, ...; none: as is) by core's `decompress`. `origin` names it in errors.
 */
export async function readDecompressed(source: ByteChunks, name: string, origin: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of decompress(source, compressionOfFileName(name), { origin })) chunks.push(chunk);
  return Buffer.concat(chunks);
}
