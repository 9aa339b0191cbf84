import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCpio, writeCpio, type CpioEntry } from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';

let work: string;
/** Sizes that straddle the 1 MiB output chunks in every way: empty, tiny, odd, several MiB. */
const sizes = [
  0,
  1,
  3,
  4,
  511,
  4096,
  70_001,
  1 << 20,
  (1 << 20) + 1,
  3 * (1 << 20) + 5,
  ...Array.from({ length: 300 }, (_, i) => (i * 7919) % 20_000),
];
const contents = sizes.map((size, i) => Buffer.alloc(size, (i * 31) % 251).fill(i % 7, 0, Math.min(size, 3)));

beforeAll(async () => {
  work = await tempDir();
  await Promise.all(contents.map((data, i) => writeFile(join(work, `f${i}`), data)));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const base = { type: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtime: 1 };
const collect = async (entries: CpioEntry[], options = {}) => {
  const chunks: Buffer[] = [];
  for await (const chunk of writeCpio(entries, { sourceDateEpoch: null, ...options })) chunks.push(chunk);
  return Buffer.concat(chunks);
};

describe('file contents read on reader threads', () => {
  it('give the same bytes as the same contents given in memory, across chunk boundaries', async () => {
    const fromDisk = await collect(
      sizes.map((size, i) => ({ ...base, path: `f${i}`, source: join(work, `f${i}`), size })),
    );
    const inMemory = await collect(contents.map((data, i) => ({ ...base, path: `f${i}`, data })));
    expect(fromDisk.length).toBeGreaterThan(5 * (1 << 20));
    expect(fromDisk.equals(inMemory)).toBe(true);
  });

  it('also through packCpio with gzip (chunks handed to a compressor)', async () => {
    const disk = join(work, 'disk.cpio.gz');
    const memory = join(work, 'memory.cpio.gz');
    await packCpio({
      input: { entries: sizes.map((size, i) => ({ ...base, path: `f${i}`, source: join(work, `f${i}`), size })) },
      output: disk,
      compress: 'gzip',
      level: 1,
      sourceDateEpoch: null,
    });
    await packCpio({
      input: { entries: contents.map((data, i) => ({ ...base, path: `f${i}`, data })) },
      output: memory,
      compress: 'gzip',
      level: 1,
      sourceDateEpoch: null,
    });
    expect((await readFile(disk)).equals(await readFile(memory))).toBe(true);
  });

  it('report a missing source with its errno code and leave no output', async () => {
    const output = join(work, 'missing.cpio');
    const entries = [
      { ...base, path: 'a', source: join(work, 'f5'), size: sizes[5] as number },
      { ...base, path: 'gone', source: join(work, 'does-not-exist'), size: 3 },
    ];
    await expect(packCpio({ input: { entries }, output, sourceDateEpoch: null })).rejects.toMatchObject({
      code: 'ENOENT',
      path: join(work, 'does-not-exist'),
    });
    await expect(stat(output)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('report a source shorter than its size as ERR_CPIO_SOURCE_CHANGED with both sizes', async () => {
    const entries = [{ ...base, path: 'short', source: join(work, 'f6'), size: (sizes[6] as number) + 10 }];
    await expect(collect(entries)).rejects.toMatchObject({
      code: 'ERR_CPIO_SOURCE_CHANGED',
      path: join(work, 'f6'),
      value: sizes[6],
    });
  });
});
