// Each package's share of the compressed root image, from samples of its files: a package of
// random bytes (incompressible) weighs more than one of zeros of the same size, and the shares
// with the unowned files' add up to the image's size.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressedShares, sampleCompressibility } from '../src/report/compressed-shares.js';
import type { ReportInventory } from '../src/report/report-inventory.js';

let root = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'df-compressed-'));
  await mkdir(join(root, 'usr/lib'), { recursive: true });
  await writeFile(join(root, 'usr/lib/random.bin'), randomBytes(300_000));
  await writeFile(join(root, 'usr/lib/zeros.bin'), Buffer.alloc(300_000));
  await writeFile(join(root, 'usr/lib/text.txt'), 'the quick brown fox jumps over the lazy dog\n'.repeat(6000));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const inventory: ReportInventory = {
  format: 'deb',
  packages: [
    {
      name: 'random',
      version: '1',
      architecture: 'amd64',
      installedBytes: 300_000,
      files: [{ path: '/usr/lib/random.bin', bytes: 300_000 }],
    },
    {
      name: 'zeros',
      version: '1',
      architecture: 'amd64',
      installedBytes: 300_000,
      files: [{ path: '/usr/lib/zeros.bin', bytes: 300_000 }],
    },
    // Listed, but its file is not in the tree: weighed as incompressible (ratio 1).
    {
      name: 'missing',
      version: '1',
      architecture: 'all',
      installedBytes: 1_000,
      files: [{ path: '/usr/lib/gone', bytes: 1_000 }],
    },
  ],
  unowned: [{ path: '/usr/lib/text.txt', bytes: 264_000 }],
  totalBytes: 865_000,
};

describe('compressedShares', () => {
  it('weighs packages by how well their files compress, adding up to the image size with the unowned files', async () => {
    const sampled = await sampleCompressibility(root, inventory);
    expect(sampled.packages.missing).toBe(1);
    const shares = compressedShares(inventory, sampled, 400_000);
    expect(Object.keys(shares).sort()).toEqual(['missing', 'random', 'zeros']);
    expect(shares.random).toBeGreaterThan(50 * (shares.zeros as number));
    const packages = Object.values(shares).reduce((a, b) => a + b, 0);
    expect(packages).toBeLessThan(400_000);
    // The rest is the unowned text's share: more than the zeros', far less than the random bytes'.
    expect(400_000 - packages).toBeGreaterThan(shares.zeros as number);
    expect(400_000 - packages).toBeLessThan(shares.random as number);
  });

  it('gives the same samples every time', async () => {
    expect(await sampleCompressibility(root, inventory)).toEqual(await sampleCompressibility(root, inventory));
  });

  it('scales kept samples without reading the tree (a package they do not know counts as incompressible)', () => {
    const kept = { packages: { random: 1, zeros: 0.25 }, unowned: 0.5 };
    // Weights: random 300,000; zeros 75,000; missing 1,000 (no sample: 1); unowned 132,000; total 508,000.
    expect(compressedShares(inventory, kept, 508_000)).toEqual({ random: 300_000, zeros: 75_000, missing: 1_000 });
  });
});
