import xzDecompress from 'xz-decompress';

/**
 * Decompresses a small in-memory `.xz` stream (a `.deb`'s control tarball: a few KiB) with the
 * WebAssembly build of xz-embedded. Spawning `xz` for it would cost more than decoding: fork time
 * grows with the parent's heap, and a bootstrap reads one control tarball per package.
 */
export async function xzDecompressSmall(data: Uint8Array): Promise<Buffer> {
  const input = new Blob([data]).stream();
  return Buffer.from(await new Response(new xzDecompress.XzReadableStream(input)).arrayBuffer());
}
