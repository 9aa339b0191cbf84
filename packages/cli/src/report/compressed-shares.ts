import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import type { Compressibility, ReportInventory, ReportFile } from './report-inventory.js';

const deflateRawAsync = promisify(deflateRaw);

/** Bytes read from one package's files to judge how well they compress. */
const SAMPLE_PER_PACKAGE = 128 * 1024;
/** ...and from all packages together, so a large image costs at most this much reading. */
const SAMPLE_TOTAL = 64 * 1024 * 1024;
/** Bytes taken from one file of a sample (its start), so a sample spans several files. */
const SAMPLE_PER_FILE = 64 * 1024;

/**
 * Samples `root`'s files to judge how well each package compresses (deflate, as a stand-in for the
 * image's compressor: what counts is how packages compare). Kernel modules already compressed or
 * binaries come out near 1, text far lower. Deterministic: the largest files first, by path on a
 * tie. Done once per final tree (the inventory stage keeps it), not per report.
 */
export async function sampleCompressibility(root: string, inventory: ReportInventory): Promise<Compressibility> {
  const groups = inventory.packages.length + 1;
  const budget = Math.max(4096, Math.min(SAMPLE_PER_PACKAGE, Math.floor(SAMPLE_TOTAL / groups)));
  const packages: Record<string, number> = {};
  for (const p of inventory.packages) packages[p.name] = await compressibility(root, p.files, budget);
  return { packages, unowned: await compressibility(root, inventory.unowned, budget) };
}

/**
 * Each package's share of the compressed root image: its installed bytes weighted by its
 * compressibility, scaled so that the packages and the unowned files add up to the image's size.
 * A package the sample does not know counts as incompressible.
 */
export function compressedShares(
  inventory: ReportInventory,
  sampled: Compressibility,
  imageBytes: number,
): Record<string, number> {
  const weights = inventory.packages.map((p) => p.installedBytes * (sampled.packages[p.name] ?? 1));
  const unowned = inventory.unowned.reduce((s, f) => s + f.bytes, 0) * sampled.unowned;
  const total = weights.reduce((s, w) => s + w, unowned);
  const shares: Record<string, number> = {};
  for (const [i, p] of inventory.packages.entries())
    shares[p.name] = total > 0 ? Math.round((imageBytes * (weights[i] as number)) / total) : 0;
  return shares;
}

/** Compressed / original bytes of a sample of `files` (1 when nothing could be read). */
async function compressibility(root: string, files: readonly ReportFile[], budget: number): Promise<number> {
  const chunks: Buffer[] = [];
  let taken = 0;
  const largest = [...files].sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of largest) {
    if (taken >= budget || file.bytes === 0) break;
    const want = Math.min(SAMPLE_PER_FILE, budget - taken, file.bytes);
    const handle = await open(join(root, file.path), 'r').catch(() => undefined);
    if (!handle) continue;
    try {
      const buffer = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buffer, 0, want, 0);
      chunks.push(buffer.subarray(0, bytesRead));
      taken += bytesRead;
    } finally {
      await handle.close();
    }
  }
  if (taken === 0) return 1;
  // On the thread pool: the inventory stage samples while other stages start on this thread.
  return (await deflateRawAsync(Buffer.concat(chunks), { level: 1 })).length / taken;
}
