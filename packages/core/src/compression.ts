/**
 * The compressors distroforge reads, named as their tools are (and as rpm's PAYLOADCOMPRESSOR tag
 * and the kernel's `CONFIG_RD_*` options name them). `none` is data stored as is.
 */
export const compressors = ['gzip', 'xz', 'zstd', 'bzip2', 'lzma'] as const;
export type Compressor = (typeof compressors)[number];
export type Compression = Compressor | 'none';

/** How many leading bytes `sniffCompressor` looks at. */
export const compressorMagicBytes = 6;

const magics: ReadonlyArray<readonly [Compressor, readonly number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68]], // "BZh"
  // LZMA-alone has no magic: properties byte 0x5d (lc=3 lp=0 pb=2, what every encoder writes by
  // default) then a little-endian dictionary size whose low 16 bits are zero (any power of two >= 64 KiB).
  ['lzma', [0x5d, 0x00, 0x00]],
];

/**
 * The compressor of data that starts with `head` (its first `compressorMagicBytes` bytes), or
 * undefined when none matches: the data is stored as is, or in a format distroforge does not read.
 * Sniffed, not trusted from a name or header, because those can lie.
 */
export function sniffCompressor(head: Uint8Array): Compressor | undefined {
  for (const [compressor, magic] of magics) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) return compressor;
  }
  return undefined;
}

const suffixes: ReadonlyArray<readonly [string, Compressor]> = [
  ['.gz', 'gzip'],
  ['.xz', 'xz'],
  ['.zst', 'zstd'],
  ['.bz2', 'bzip2'],
  ['.lzma', 'lzma'],
];

/** The compression a file name's suffix declares (`Packages.xz`, `data.tar.zst`); `none` without one. */
export function compressionOfFileName(name: string): Compression {
  return suffixes.find(([suffix]) => name.endsWith(suffix))?.[1] ?? 'none';
}
