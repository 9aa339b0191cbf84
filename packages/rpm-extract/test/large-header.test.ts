import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDumpLine, readRpm, RpmError, verifyRpm } from '@distroforge/rpm-extract';
import { buildHeader, buildPackage, type TestTag } from './header-builder.js';

// Sizes at the 32-bit boundary and beyond: rpm keeps them in LONGFILESIZES/LONGSIZE (int64).
// Building a real >4 GiB package would cost minutes of CPU and disk per test run, so the sizes are
// written into a header directly and rpm itself is the oracle for how they read.
const sizes = [0, 1, 2 ** 32 - 1, 2 ** 32, 5 * 2 ** 30];
const names = sizes.map((_, i) => `f${i}`);

function mainHeader(fileSizes: number[]): Buffer {
  const tags: TestTag[] = [
    { tag: 1000, type: 6, value: 'bigfiles' },
    { tag: 1001, type: 6, value: '1' },
    { tag: 1002, type: 6, value: '1' },
    { tag: 1004, type: 9, value: ['large-size header test'] },
    { tag: 1022, type: 6, value: 'noarch' },
    { tag: 1021, type: 6, value: 'linux' },
    { tag: 1030, type: 3, value: fileSizes.map(() => 0o100644) },
    { tag: 1034, type: 4, value: fileSizes.map(() => 1700000000) },
    { tag: 1035, type: 8, value: fileSizes.map(() => 'ab'.repeat(32)) },
    { tag: 1036, type: 8, value: fileSizes.map(() => '') },
    { tag: 1037, type: 4, value: fileSizes.map(() => 0) },
    { tag: 1039, type: 8, value: fileSizes.map(() => 'root') },
    { tag: 1040, type: 8, value: fileSizes.map(() => 'root') },
    { tag: 1116, type: 4, value: fileSizes.map(() => 0) },
    { tag: 1117, type: 8, value: names.slice(0, fileSizes.length) },
    { tag: 1118, type: 8, value: ['/big/'] },
    { tag: 1124, type: 6, value: 'cpio' },
    { tag: 1125, type: 6, value: 'zstd' },
    { tag: 5008, type: 5, value: fileSizes },
    { tag: 5009, type: 5, value: [fileSizes.reduce((a, b) => a + b, 0)] },
    { tag: 5011, type: 4, value: [8] },
  ];
  return buildHeader(tags, 63);
}

function packageWith(fileSizes: number[]): Buffer {
  const header = mainHeader(fileSizes);
  const signature = buildHeader([{ tag: 273, type: 6, value: createHash('sha256').update(header).digest('hex') }], 62);
  return buildPackage('bigfiles-1-1', signature, header, Buffer.alloc(0));
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-extract-large-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('64-bit sizes (large-size header test)', () => {
  it('reads LONGFILESIZES and LONGSIZE at and beyond 2^32 exactly as rpm does', async () => {
    const bytes = packageWith(sizes);
    const file = join(work, 'bigfiles.rpm');
    await writeFile(file, bytes);
    const pkg = await readRpm(file);
    expect(pkg.files.map((f) => f.size)).toEqual(sizes);
    expect(pkg.size).toBe(sizes.reduce((a, b) => a + b, 0));
    const { stdout } = await execa('rpm', ['-qp', '--nosignature', '--nodigest', '--dump', file]);
    expect(pkg.files.map((f) => formatDumpLine(f, pkg.fileDigestAlgorithm)).join('\n')).toBe(stdout);
    const { stdout: longsize } = await execa('rpm', [
      '-qp',
      '--nosignature',
      '--nodigest',
      '--qf',
      '%{LONGSIZE}',
      file,
    ]);
    expect(String(pkg.size)).toBe(longsize);
  });

  it('the header digest of the synthetic package checks out (the builder is faithful)', async () => {
    const result = await verifyRpm(packageWith([1, 2]), { files: false });
    expect(result.checks.find((c) => c.name === 'header-sha256')?.ok).toBe(true);
  });

  it('2^53 - 1 is the largest size represented; beyond it is ERR_RPM_HEADER_OVERFLOW, never a rounded number', async () => {
    expect((await readRpm(packageWith([2 ** 53 - 1]))).files[0]?.size).toBe(2 ** 53 - 1);
    const tooBig = packageWith([2 ** 60]);
    const error = await readRpm(tooBig).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpmError);
    expect((error as RpmError).code).toBe('ERR_RPM_HEADER_OVERFLOW');
  });
});
