// Where the initramfs stage unpacks kernel packages: a tmpfs with room, else the stage's directory.
import { mkdir, mkdtemp, rm, statfs, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kernelScratchDir } from '../src/pipeline/kernel-scratch-dir.js';

const TMPFS_MAGIC = 0x01021994;
let work = '';
let small = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-kernel-scratch-'));
  small = join(work, 'small.deb');
  await writeFile(small, Buffer.alloc(4096));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const shmIsTmpfs = await statfs('/dev/shm')
  .then((fs) => fs.type === TMPFS_MAGIC)
  .catch(() => false);

it.runIf(shmIsTmpfs)('a tmpfs with room: a new private directory there', async () => {
  const scratch = await kernelScratchDir([small], join(work, 'fallback'));
  try {
    expect(dirname(scratch)).toBe('/dev/shm');
    expect((await statfs(scratch)).type).toBe(TMPFS_MAGIC);
    expect(scratch).toMatch(/\/distroforge-kernel-/);
    // Each call its own directory, so two builds never share one.
    const other = await kernelScratchDir([small], join(work, 'fallback'));
    expect(other).not.toBe(scratch);
    await rm(other, { recursive: true });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

it('not a tmpfs, no such directory, or too little room for the packages: the fallback in the stage', async () => {
  const fallback = join(work, 'fallback');
  // The test's own directory is on the disk, not a tmpfs (or, if it is one, far too small below).
  const disk = join(work, 'disk');
  await mkdir(disk);
  const onDisk = await kernelScratchDir([small], fallback, disk);
  if ((await statfs(disk)).type !== TMPFS_MAGIC) expect(onDisk).toBe(fallback);
  expect(await kernelScratchDir([small], fallback, join(work, 'missing'))).toBe(fallback);
  // A package whose files would need more than the tmpfs has (a sparse file of 2 TiB: 16 TiB unpacked).
  const huge = join(work, 'huge.deb');
  await writeFile(huge, '');
  await truncate(huge, 2 ** 41);
  expect(await kernelScratchDir([small, huge], fallback)).toBe(fallback);
  // A package file that is not there yet (fetched later): the fallback, no error.
  expect(await kernelScratchDir([join(work, 'absent.deb')], fallback)).toBe(fallback);
});
