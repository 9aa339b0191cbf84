import { open, stat, symlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { compressorMagicBytes, findTool, knownTools, sniffCompressor } from '@distroforge/core';

/** Packages at most this large (compressed) are decompressed together; larger ones stream on their own. */
export const BATCH_DECOMPRESS_MAX_BYTES = 64 << 20;
/** At most this many compressed bytes in all are decompressed together (the tars take several times that on disk). */
export const BATCH_DECOMPRESS_TOTAL_BYTES = 256 << 20;

/**
 * Decompresses the zstd-compressed packages among `files` (up to the size limits) with one `zstd`
 * process per core (at most 4) into `dir` (plain tar files), so each is not decompressed by a process of its own twice
 * (once to read it, once to unpack it). Returns package file -> its tar; a package missing from the map (other
 * compression, too large, or when zstd fails on any: its own reader reports the damage, typed)
 * is read from its file as before.
 */
export async function decompressSmallPackages(
  files: readonly string[],
  dir: string,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const chosen: { file: string; tar: string; link: string; size: number }[] = [];
  let total = 0;
  for (const file of files) {
    const size = (await stat(file)).size;
    if (size > BATCH_DECOMPRESS_MAX_BYTES || total + size > BATCH_DECOMPRESS_TOTAL_BYTES) continue;
    const head = Buffer.alloc(compressorMagicBytes);
    const handle = await open(file, 'r');
    let read: number;
    try {
      ({ bytesRead: read } = await handle.read(head, 0, head.length, 0));
    } finally {
      await handle.close();
    }
    if (sniffCompressor(head.subarray(0, read)) !== 'zstd') continue;
    total += size;
    const n = chosen.length;
    chosen.push({ file, tar: join(dir, `${n}.tar`), link: join(dir, `${n}.tar.zst`), size });
  }
  if (chosen.length === 0) return new Map();
  for (const c of chosen) await symlink(c.file, c.link);
  const zstd = await findTool(knownTools.zstd);
  const { execa } = await import('execa');
  // One zstd per core (at most 4), the packages spread over them by size, largest first.
  const groups: { bytes: number; links: string[] }[] = Array.from(
    { length: Math.min(4, availableParallelism(), chosen.length) },
    () => ({ bytes: 0, links: [] }),
  );
  for (const c of [...chosen].sort((a, b) => b.size - a.size)) {
    const least = groups.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    least.bytes += c.size;
    least.links.push(c.link);
  }
  const runs = await Promise.all(
    groups.map((g) =>
      execa(zstd.path, ['-d', '-q', '-f', '--output-dir-flat', dir, ...g.links], {
        reject: false,
        stdin: 'ignore',
        ...(signal ? { cancelSignal: signal } : {}),
      }),
    ),
  );
  signal?.throwIfAborted();
  if (runs.some((run) => run.exitCode !== 0)) return new Map();
  return new Map(chosen.map((c) => [c.file, c.tar]));
}
