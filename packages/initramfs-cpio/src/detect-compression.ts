import { sniffCompressor } from '@distroforge/core';
import type { Compression } from './compress.js';

/**
 * Recognises a compressed stream by its magic bytes (core's `sniffCompressor`), among the
 * compressions this package writes: anything else is read as a newc archive and refused by its magic.
 */
export function detectCompression(head: Buffer): Exclude<Compression, 'none'> | undefined {
  const compressor = sniffCompressor(head);
  return compressor === 'gzip' || compressor === 'zstd' || compressor === 'xz' ? compressor : undefined;
}
