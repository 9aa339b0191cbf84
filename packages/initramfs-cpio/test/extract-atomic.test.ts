import { lstat, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractCpio } from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';
import { rawArchive, type RawMember } from './newc-archive.js';

// Extraction is all or nothing: the tree appears at the target only when every member was written.
let work: string;
let counter = 0;
beforeAll(async () => {
  work = await tempDir('icpio-atomic-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh directory holding only `target` (when `existing`), so leftovers beside it are visible. */
async function place(existing?: 'empty-dir'): Promise<{ parent: string; target: string }> {
  const parent = join(work, `case-${counter++}`);
  await mkdir(parent);
  const target = join(parent, 'target');
  if (existing) await mkdir(target);
  return { parent, target };
}

const files: RawMember[] = [
  { name: '.', type: 'dir', mode: 0o750 },
  { name: 'etc', type: 'dir', mode: 0o755 },
  { name: 'etc/one', type: 'file', data: 'one\n' },
  { name: 'etc/two', type: 'file', data: 'two\n' },
];

describe('extractCpio is all or nothing', () => {
  it('a truncated archive: ERR_CPIO_TRUNCATED, no target and no staging directory left, even after members were written', async () => {
    const { parent, target } = await place();
    const whole = rawArchive([...files, { name: 'etc/three', type: 'file', data: 'x'.repeat(1000) }]);
    const cut = whole.subarray(0, whole.indexOf('xxxx') + 10);
    await expect(extractCpio(cut, target)).rejects.toMatchObject({ code: 'ERR_CPIO_TRUNCATED' });
    expect(await readdir(parent)).toEqual([]);
  });

  it("a failure into an existing empty directory leaves it empty; success fills it with the archive's root mode", async () => {
    const { parent, target } = await place('empty-dir');
    await expect(extractCpio(rawArchive([...files, { name: '../x', type: 'file' }]), target)).rejects.toMatchObject({
      code: 'ERR_CPIO_UNSAFE_PATH',
      value: '../x',
    });
    expect(await readdir(parent)).toEqual(['target']);
    expect(await readdir(target)).toEqual([]);
    await extractCpio(rawArchive(files), target);
    expect(await readdir(parent)).toEqual(['target']);
    expect(await readFile(join(target, 'etc/two'), 'utf8')).toBe('two\n');
    expect((await stat(target)).mode & 0o7777).toBe(0o750);
  });

  it('a target that is not empty, or not a directory: ERR_CPIO_TARGET_NOT_EMPTY and it is left as it was', async () => {
    const { target } = await place('empty-dir');
    await writeFile(join(target, 'mine'), 'keep');
    await expect(extractCpio(rawArchive(files), target)).rejects.toMatchObject({
      code: 'ERR_CPIO_TARGET_NOT_EMPTY',
      path: target,
    });
    expect(await readdir(target)).toEqual(['mine']);
    const { parent, target: fileTarget } = await place();
    await writeFile(fileTarget, 'a file');
    await expect(extractCpio(rawArchive(files), fileTarget)).rejects.toMatchObject({
      code: 'ERR_CPIO_TARGET_NOT_EMPTY',
      message: expect.stringContaining('not a directory'),
    });
    expect(await readdir(parent)).toEqual(['target']);
  });

  it('a target with a 250-character name (the staging name beside it still fits NAME_MAX); no root member gives 0755', async () => {
    const { parent } = await place();
    const target = join(parent, 't'.repeat(250));
    await extractCpio(rawArchive(files.slice(1)), target);
    expect(await readdir(parent)).toEqual(['t'.repeat(250)]);
    expect((await stat(target)).mode & 0o7777).toBe(0o755);
  });
});

describe('extractCpio with names the filesystem cannot hold: typed errors naming the member, nothing left', () => {
  it('a 300-byte path component: ERR_CPIO_NAME_TOO_LONG', async () => {
    const { parent, target } = await place();
    const name = `etc/${'n'.repeat(300)}`;
    await expect(extractCpio(rawArchive([...files, { name, type: 'file', data: 'x' }]), target)).rejects.toMatchObject({
      code: 'ERR_CPIO_NAME_TOO_LONG',
      value: name,
      message: expect.stringContaining('300 bytes'),
    });
    expect(await readdir(parent)).toEqual([]);
  });

  it('a path 2045 directories deep (a 4090-byte name, under PATH_MAX, but not under the target): ERR_CPIO_NAME_TOO_LONG, not ENAMETOOLONG', async () => {
    const { parent, target } = await place();
    const name = `${'d/'.repeat(2044)}ff`;
    await expect(extractCpio(rawArchive([{ name, type: 'file', data: 'x' }]), target)).rejects.toMatchObject({
      code: 'ERR_CPIO_NAME_TOO_LONG',
      value: name,
    });
    expect(await readdir(parent)).toEqual([]);
  });

  it('a path 3000 directories deep (6000 bytes, over PATH_MAX): ERR_CPIO_LIMIT quoting how the name starts, not a stack overflow', async () => {
    const { parent, target } = await place();
    await expect(
      extractCpio(rawArchive([{ name: `${'d/'.repeat(2999)}f`, type: 'file', data: 'x' }]), target),
    ).rejects.toMatchObject({
      code: 'ERR_CPIO_LIMIT',
      message: expect.stringContaining('d/d/d/d/'),
    });
    expect(await readdir(parent)).toEqual([]);
  });

  it('a path 1000 directories deep that fits is extracted, implicit parents and all', async () => {
    const { target } = await place();
    const name = `${'d/'.repeat(1000)}f`;
    await extractCpio(rawArchive([{ name, type: 'file', data: 'deep' }]), target);
    expect(await readFile(join(target, name), 'utf8')).toBe('deep');
    expect((await lstat(join(target, 'd/d'))).mode & 0o7777).toBe(0o755);
  });

  it('an empty symlink target (no filesystem can hold one): ERR_CPIO_CORRUPT naming the member', async () => {
    const { parent, target } = await place();
    await expect(
      extractCpio(rawArchive([{ name: 'dev/empty-link', type: 'symlink', data: '' }]), target),
    ).rejects.toMatchObject({ code: 'ERR_CPIO_CORRUPT', value: 'dev/empty-link' });
    expect(await readdir(parent)).toEqual([]);
  });

  it('a symlink target of 4096 bytes (readable, but no symlink can hold it): ERR_CPIO_NAME_TOO_LONG', async () => {
    const { parent, target } = await place();
    await expect(
      extractCpio(rawArchive([{ name: 'l', type: 'symlink', data: 't'.repeat(4096) }]), target),
    ).rejects.toMatchObject({
      code: 'ERR_CPIO_NAME_TOO_LONG',
      value: 'l',
      message: expect.stringContaining('symlink target of 4096 bytes'),
    });
    expect(await readdir(parent)).toEqual([]);
  });
});
