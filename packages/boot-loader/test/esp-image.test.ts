// FAT images for the ESP, checked with mtools as the oracle: the size computed from the content,
// every timestamp at the epoch, the serial derived from the content, and the cache (cacheDir)
// copying an unchanged image and rebuilding a changed one. Moved from iso-assemble's build tests.
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEspImage } from '@distroforge/boot-loader';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'boot-loader-esp-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('buildEspImage', () => {
  it('sizes itself, keeps every timestamp at the epoch and derives its serial from the content', async () => {
    const a = await buildEspImage({
      output: join(work, 'esp-a.img'),
      files: [
        { path: '/EFI/BOOT/x.cfg', content: 'x' },
        { path: '/big.bin', content: Buffer.alloc(1_500_000, 1) },
      ],
      sourceDateEpoch: 1_700_000_000,
      logFile: join(work, 'esp.log'),
    });
    expect(a.size).toBe(2 * 1024 * 1024);
    const b = await buildEspImage({
      output: join(work, 'esp-b.img'),
      files: [
        { path: '/big.bin', content: Buffer.alloc(1_500_000, 1) },
        { path: '/EFI/BOOT/x.cfg', content: 'x' },
      ],
      sourceDateEpoch: 1_700_000_000,
      logFile: join(work, 'esp.log'),
    });
    expect(Buffer.compare(await readFile(a.path), await readFile(b.path))).toBe(0);
    const { stdout } = await execa('mdir', ['-/', '-i', a.path, '::'], { env: { MTOOLS_SKIP_CHECK: '1', TZ: 'UTC' } });
    expect(stdout).toContain(
      `Volume Serial Number is ${a.serial
        .toString(16)
        .padStart(8, '0')
        .toUpperCase()
        .replace(/^(....)/, '$1-')}`,
    );
    const dates = stdout.match(/\d{4}-\d\d-\d\d +\d+:\d\d/g) ?? [];
    expect(dates.length).toBeGreaterThan(3);
    expect(new Set(dates)).toEqual(new Set(['2023-11-14  22:13']));
  });
});

describe('ESP cache (cacheDir)', () => {
  it('an ESP whose source file changed is rebuilt; an unchanged one is copied with its size and serial', async () => {
    const cacheDir = join(work, 'esp-cache');
    const source = join(work, 'esp-source.bin');
    await writeFile(source, Buffer.alloc(100_000, 3));
    const options = {
      files: [{ path: '/data.bin', source }],
      sourceDateEpoch: 1_700_000_000,
      logFile: join(work, 'esp.log'),
      cacheDir,
    };
    const a = await buildEspImage({ ...options, output: join(work, 'esp-c1.img') });
    const b = await buildEspImage({ ...options, output: join(work, 'esp-c2.img') });
    expect(b).toEqual({ ...a, path: join(work, 'esp-c2.img') });
    expect(Buffer.compare(await readFile(a.path), await readFile(b.path))).toBe(0);
    await writeFile(source, Buffer.alloc(100_000, 4));
    const c = await buildEspImage({ ...options, output: join(work, 'esp-c3.img') });
    const { stdout } = await execa('mtype', ['-i', c.path, '::/data.bin'], {
      env: { MTOOLS_SKIP_CHECK: '1' },
      encoding: 'buffer',
    });
    expect(Buffer.from(stdout).equals(Buffer.alloc(100_000, 4))).toBe(true);
    expect(c.serial).not.toBe(a.serial);
  }, 120_000);
});
