import { gzipSync } from 'node:zlib';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractCpio, listCpio } from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';
import { rawArchive, rawMember } from './newc-archive.js';

// Lengths in a header are the attacker's: each is bounded before anything is allocated for it.
const GiB = 1 << 30;
let work: string;
beforeAll(async () => {
  work = await tempDir('icpio-limits-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * A gzip stream of about 1 MB that inflates to `head` followed by `zeros` NUL bytes: gzip members
 * concatenate, so one member of 1 MiB of zeros (1 KB compressed) is repeated.
 */
function gzipBomb(head: Buffer, zeros: number): Buffer {
  const mib = gzipSync(Buffer.alloc(1 << 20));
  return Buffer.concat([gzipSync(head), ...Array.from({ length: Math.ceil(zeros / (1 << 20)) }, () => mib)]);
}

/** A header declaring `size` bytes of data (or name) that the input does not have to contain. */
const header = (name: string, type: 'file' | 'symlink', size: number) => rawMember({ name, type, data: '', size });

const rssGrowth = async (run: () => Promise<unknown>): Promise<{ error: unknown; growth: number }> => {
  const before = process.memoryUsage().rss;
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, growth: process.memoryUsage().rss - before };
};

describe('declared lengths are bounded before allocation', () => {
  it('a 1 MB gzip stream declaring a 1 GiB symlink target: ERR_CPIO_LIMIT naming the member, memory flat (list, extract, from a buffer and a file)', async () => {
    const bomb = gzipBomb(header('evil-link', 'symlink', GiB), GiB);
    expect(bomb.length).toBeLessThan(2_000_000);
    const file = join(work, 'bomb-link.cpio.gz');
    await writeFile(file, bomb);
    for (const run of [
      () => listCpio(bomb),
      () => listCpio(file),
      () => extractCpio(bomb, join(work, 'bomb-link-out')),
      () => extractCpio(file, join(work, 'bomb-link-out')),
    ]) {
      const { error, growth } = await rssGrowth(run);
      expect(error).toMatchObject({
        code: 'ERR_CPIO_LIMIT',
        field: 'symlink target size',
        value: GiB,
        hint: expect.stringContaining('PATH_MAX'),
      });
      expect((error as Error).message).toContain('evil-link');
      expect(growth).toBeLessThan(100 * 1024 * 1024);
    }
  });

  it('a 1 MB gzip stream declaring a 1 GiB member name: ERR_CPIO_LIMIT quoting how the name starts, memory flat', async () => {
    const fields = rawMember({ name: 'x', type: 'file' }).subarray(0, 110);
    const lying = Buffer.from(fields);
    lying.write(GiB.toString(16).padStart(8, '0'), 6 + 11 * 8, 'latin1');
    const bomb = gzipBomb(Buffer.concat([lying, Buffer.from('evil-name/')]), GiB);
    const { error, growth } = await rssGrowth(() => listCpio(bomb));
    expect(error).toMatchObject({ code: 'ERR_CPIO_LIMIT', field: 'name size', value: GiB });
    expect((error as Error).message).toContain('evil-name/');
    expect(growth).toBeLessThan(100 * 1024 * 1024);
  });

  it('names and symlink targets: 4096 bytes (PATH_MAX, with the NUL for names) are read, 4097 are ERR_CPIO_LIMIT', async () => {
    const name = (bytes: number) => `n/${'x'.repeat(bytes - 3)}`; // plus the NUL: `bytes` in the header
    expect((await listCpio(rawArchive([{ name: name(4096), type: 'file', data: 'ok' }])))[0]?.name).toBe(name(4096));
    await expect(listCpio(rawArchive([{ name: name(4097), type: 'file', data: 'ok' }]))).rejects.toMatchObject({
      code: 'ERR_CPIO_LIMIT',
      field: 'name size',
      value: 4097,
    });
    const target = 't'.repeat(4096);
    expect((await listCpio(rawArchive([{ name: 'l', type: 'symlink', data: target }])))[0]?.target).toBe(target);
    await expect(listCpio(rawArchive([{ name: 'l', type: 'symlink', data: `${target}t` }]))).rejects.toMatchObject({
      code: 'ERR_CPIO_LIMIT',
      field: 'symlink target size',
      value: 4097,
    });
  });

  it('a file declaring more data than the rest of an uncompressed input: ERR_CPIO_TRUNCATED before any of it is read (buffer and file)', async () => {
    const archive = Buffer.concat([header('big', 'file', GiB), Buffer.alloc(1 << 20)]);
    const file = join(work, 'big.cpio');
    await writeFile(file, archive);
    for (const source of [archive, file]) {
      await expect(listCpio(source)).rejects.toMatchObject({
        code: 'ERR_CPIO_TRUNCATED',
        value: GiB,
        message: expect.stringMatching(/big declares 1073741824 bytes of data but only \d+ remain/),
      });
    }
    // The same bound on a symlink, inside the PATH_MAX limit but beyond the input.
    await expect(listCpio(header('short-link', 'symlink', 4000))).rejects.toMatchObject({
      code: 'ERR_CPIO_TRUNCATED',
      message: expect.stringContaining('short-link declares 4000 bytes'),
    });
  });

  it('a NUL inside a name or a symlink target (which the kernel would cut there): ERR_CPIO_CORRUPT', async () => {
    await expect(listCpio(rawArchive([{ name: 'a\0b', type: 'file', data: 'x' }]))).rejects.toMatchObject({
      code: 'ERR_CPIO_CORRUPT',
      message: expect.stringContaining('NUL'),
    });
    await expect(listCpio(rawArchive([{ name: 'l', type: 'symlink', data: 'a\0b' }]))).rejects.toMatchObject({
      code: 'ERR_CPIO_CORRUPT',
      message: expect.stringContaining('NUL'),
    });
  });
});
