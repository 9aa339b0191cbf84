import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type { ReportInventory, ReportFile } from './report-inventory.js';

/** Bytes read from one package's files to judge how well they compress. */
const SAMPLE_PER_PACKAGE = 128 * 1024;
/** ...and from all packages together, so a large image costs at most this much reading. */
const SAMPLE_TOTAL = 64 * 1024 * 1024;
/** Bytes taken from one file of a sample (its start), so a sample spans several files. */
const SAMPLE_PER_FILE = 64 * 1024;

/**
 * Each package's share of the compressed root image: its installed bytes weighted by how well a
 * sample of its files compresses (deflate, as a stand-in for the image's compressor: what counts is
 * how packages compare), scaled so that the packages and the unowned files add up to the image's
 * size. Kernel modules already compressed or binaries weigh more than text. Reads the files from
 * `root`; deterministic (the largest files first, by path on a tie).
 */
export async function compressedShares(
  root: string,
  inventory: ReportInventory,
  imageBytes: number,
): Promise<Record<string, number>> {
  const groups = [
    ...inventory.packages.map((p) => ({ name: p.name, bytes: p.installedBytes, files: p.files })),
    { name: '', bytes: inventory.unowned.reduce((s, f) => s + f.bytes, 0), files: inventory.unowned },
  ];
  const budget = Math.max(4096, Math.min(SAMPLE_PER_PACKAGE, Math.floor(SAMPLE_TOTAL / groups.length)));
  const weights: number[] = [];
  for (const group of groups) weights.push(group.bytes * (await compressibility(root, group.files, budget)));
  const total = weights.reduce((s, w) => s + w, 0);
  const shares: Record<string, number> = {};
  for (const [i, group] of groups.entries())
    if (group.name !== '')
      shares[group.name] = total > 0 ? Math.round((imageBytes * (weights[i] as number)) / total) : 0;
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
  return deflateRawSync(Buffer.concat(chunks), { level: 1 }).length / taken;
}
