import { execa } from 'execa';
import { mkdir, mkdtemp, open, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExt4Image } from '../src/ext4-image.js';
import { emptyManifest, mergeManifest } from '@distroforge/core';

let work: string;
let tree: string;
const epoch = 1_700_000_000;
const manifest = mergeManifest(emptyManifest(), [
  { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 },
  { path: '/usr/bin/su', mode: 0o4755 },
  { path: '/home/user', uid: 1000, gid: 1000, mode: 0o700 },
  { path: '/dev/null', type: 'char', major: 1, minor: 3, mode: 0o666 },
  { path: '/dev/sda', type: 'block', major: 8, minor: 0, mode: 0o660, gid: 6 },
  { path: '/run/initctl', type: 'fifo', mode: 0o600 },
  { path: '/usr/bin/ping', caps: 'cap_net_raw=ep' },
]);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-ext4-'));
  tree = join(work, 'tree');
  for (const dir of ['etc', 'usr/bin', 'home/user', 'dev', 'run']) await mkdir(join(tree, dir), { recursive: true });
  await writeFile(join(tree, 'etc/shadow'), 'root:*:19000::::::\n');
  await writeFile(join(tree, 'usr/bin/su'), 'su binary');
  await writeFile(join(tree, 'usr/bin/ping'), 'ping binary');
  await writeFile(join(tree, 'home/user/notes.txt'), 'x'.repeat(100_000));
  await symlink('usr/bin', join(tree, 'bin'));
  await utimes(join(tree, 'etc/shadow'), epoch - 100, epoch - 100);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const build = (output: string) =>
  buildExt4Image({
    directory: tree,
    manifest,
    output,
    uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C',
    hashSeed: '6A1D9B0E-1111-4222-8333-444455556666',
    sourceDateEpoch: epoch,
    logFile: join(work, 'log'),
    freeSpace: 8 * 1024 * 1024,
  });

async function stat(image: string, path: string): Promise<string> {
  return (await execa('debugfs', ['-R', `stat "${path}"`, image])).stdout;
}

describe('buildExt4Image', () => {
  it('applies owners, modes, device nodes and times as root would have them; fsck is clean', async () => {
    const image = join(work, 'a.ext4');
    const built = await build(image);
    expect(built.notApplied).toEqual([{ path: '/usr/bin/ping', field: 'caps' }]);
    await execa('fsck.ext4', ['-fn', image]);
    expect(await stat(image, '/etc/shadow')).toMatch(/Mode:\s+0640[\s\S]*User:\s+0\s+Group:\s+42/);
    expect(await stat(image, '/usr/bin/su')).toMatch(/Type: regular\s+Mode:\s+04755[\s\S]*User:\s+0\s+Group:\s+0/);
    expect(await stat(image, '/home/user')).toMatch(
      /Type: directory\s+Mode:\s+0700[\s\S]*User:\s+1000\s+Group:\s+1000/,
    );
    expect(await stat(image, '/home/user/notes.txt')).toMatch(/User:\s+0\s+Group:\s+0/);
    expect(await stat(image, '/dev/null')).toMatch(
      /Type: character special\s+Mode:\s+0666[\s\S]*Device major\/minor number: 01:03/,
    );
    expect(await stat(image, '/dev/sda')).toMatch(
      /Type: block special\s+Mode:\s+0660[\s\S]*Group:\s+6[\s\S]*Device major\/minor number: 08:00/,
    );
    expect(await stat(image, '/run/initctl')).toMatch(/Type: FIFO\s+Mode:\s+0600/);
    expect(await stat(image, '/bin')).toMatch(/Type: symlink[\s\S]*Fast link dest: "usr\/bin"/);
    expect(await stat(image, '/etc/shadow')).toMatch(/mtime: 0x6553f09c:00000000/);
    expect(await stat(image, '/usr/bin/su')).toMatch(/ctime: 0x6553f100:00000000[\s\S]*mtime: 0x6553f100:00000000/);
    const { stdout } = await execa('debugfs', ['-R', 'cat /home/user/notes.txt', image]);
    expect(stdout).toBe('x'.repeat(100_000));
    const dumpe2fs = (await execa('dumpe2fs', ['-h', image])).stdout;
    expect(dumpe2fs).toMatch(/Filesystem UUID:\s+0e4c8b52-2d5c-4f37-9e0e-5c1b1f2a3b4c/);
    expect(dumpe2fs).toMatch(/Filesystem created:\s+Tue Nov 14 22:13:20 2023/);
  });

  it('builds byte-identical images twice', async () => {
    const a = join(work, 'r1.ext4');
    const b = join(work, 'r2.ext4');
    await build(a);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await build(b);
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
  });

  it('gives the same image from a tree owned by an unprivileged user, as a non-root build has it', async () => {
    // A build without root sees its files owned by the builder; every inode must still come out
    // 0:0 with the manifest's owners on top, byte for byte the image a root build gives.
    const owned = join(work, 'owned');
    await execa('cp', ['-a', tree, owned]);
    if (process.getuid?.() === 0) await execa('chown', ['-hR', '65534:65534', owned]);
    expect((await execa('stat', ['-c', '%u', join(owned, 'etc/shadow')])).stdout).not.toBe('0');
    const image = join(work, 'owned.ext4');
    await buildExt4Image({
      directory: owned,
      manifest,
      output: image,
      uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C',
      hashSeed: '6A1D9B0E-1111-4222-8333-444455556666',
      sourceDateEpoch: epoch,
      logFile: join(work, 'log'),
      freeSpace: 8 * 1024 * 1024,
    });
    expect(await stat(image, '/home/user/notes.txt')).toMatch(/User:\s+0\s+Group:\s+0/);
    expect(await stat(image, '/home/user')).toMatch(/User:\s+1000\s+Group:\s+1000/);
    expect(await stat(image, '/etc/shadow')).toMatch(/User:\s+0\s+Group:\s+42/);
    const reference = join(work, 'reference.ext4');
    await build(reference);
    expect((await readFile(image)).equals(await readFile(reference))).toBe(true);
  });
});

describe('buildExt4Image inode normalisation', () => {
  it('sets every tree inode as a debugfs sif per inode would, keeps hard links, clamps 2038+ mtimes, leaves lost+found alone', async () => {
    const edge = join(work, 'edge');
    await execa('cp', ['-a', tree, edge]);
    await writeFile(join(edge, 'etc/future'), 'after 2038');
    await utimes(join(edge, 'etc/future'), 2 ** 31 + 1000, 2 ** 31 + 1000);
    await writeFile(join(edge, 'etc/old'), 'before the epoch');
    await utimes(join(edge, 'etc/old'), epoch - 5000, epoch - 5000);
    await execa('ln', [join(edge, 'etc/old'), join(edge, 'etc/old-link')]);
    const image = join(work, 'edge.ext4');
    await buildExt4Image({
      directory: edge,
      output: image,
      uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C',
      hashSeed: '6A1D9B0E-1111-4222-8333-444455556666',
      sourceDateEpoch: epoch,
      logFile: join(work, 'log'),
      freeSpace: 8 * 1024 * 1024,
    });
    await execa('fsck.ext4', ['-fn', image]);
    const hex = (t: number) => `0x${t.toString(16).padStart(8, '0')}:00000000`;
    expect(await stat(image, '/etc/future')).toMatch(new RegExp(`mtime: ${hex(epoch)}`));
    const old = await stat(image, '/etc/old');
    expect(old).toMatch(
      new RegExp(
        `ctime: ${hex(epoch)}[\\s\\S]*atime: ${hex(epoch)}[\\s\\S]*mtime: ${hex(epoch - 5000)}[\\s\\S]*crtime: ${hex(epoch)}`,
      ),
    );
    expect(old).toMatch(/Links: 2/);
    expect(/Inode: (\d+)/.exec(await stat(image, '/etc/old-link'))?.[1]).toBe(/Inode: (\d+)/.exec(old)?.[1]);
    for (const path of ['/', '/usr', '/bin', '/home/user/notes.txt'])
      expect(await stat(image, path)).toMatch(
        new RegExp(`ctime: ${hex(epoch)}[\\s\\S]*atime: ${hex(epoch)}[\\s\\S]*crtime: ${hex(epoch)}`),
      );
    // mke2fs' lost+found is no tree inode: it keeps what mke2fs gave it (created at the fake clock, mode 0700).
    expect(await stat(image, '/lost+found')).toMatch(/Inode: 11\s+Type: directory\s+Mode:\s+0700/);
  });

  it("normalises the tree's own /lost+found (mke2fs reuses its inode 11 for it)", async () => {
    const withLnf = join(work, 'with-lnf');
    await execa('cp', ['-a', tree, withLnf]);
    await mkdir(join(withLnf, 'lost+found'), { mode: 0o755 });
    await utimes(join(withLnf, 'lost+found'), epoch - 77, epoch - 77);
    const image = join(work, 'with-lnf.ext4');
    await buildExt4Image({
      directory: withLnf,
      output: image,
      uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C',
      hashSeed: '6A1D9B0E-1111-4222-8333-444455556666',
      sourceDateEpoch: epoch,
      logFile: join(work, 'log'),
      freeSpace: 8 * 1024 * 1024,
    });
    await execa('fsck.ext4', ['-fn', image]);
    expect(await stat(image, '/lost+found')).toMatch(
      /Inode: 11\s+Type: directory\s+Mode:\s+0755[\s\S]*ctime: 0x6553f100:00000000[\s\S]*mtime: 0x6553f0b3:00000000/,
    );
  });

  it("refuses an output path with '?' (e2fsprogs would read the rest as I/O options) and an unaligned offset", async () => {
    await expect(build(join(work, 'what?.ext4'))).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
    await expect(
      buildExt4Image({
        directory: tree,
        output: join(work, 'odd.img'),
        offset: 1000,
        size: 8 * 1024 * 1024,
        uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C',
        hashSeed: '6A1D9B0E-1111-4222-8333-444455556666',
        sourceDateEpoch: epoch,
        logFile: join(work, 'log'),
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS', value: 1000 });
  });

  it('writes into a disk image at an offset the same bytes as a standalone image, leaving the rest of the file alone', async () => {
    const standalone = join(work, 'standalone.ext4');
    const built = await build(standalone);
    const disk = join(work, 'disk.img');
    const offset = 3 * 1024 * 1024;
    await writeFile(disk, Buffer.alloc(offset + built.size + 4096, 0));
    const head = Buffer.alloc(512, 0xab);
    const handle = await open(disk, 'r+');
    await handle.write(head, 0, 512, 0);
    await handle.close();
    const placed = await buildExt4Image({
      directory: tree,
      manifest,
      output: disk,
      offset,
      size: built.size,
      uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C',
      hashSeed: '6A1D9B0E-1111-4222-8333-444455556666',
      sourceDateEpoch: epoch,
      logFile: join(work, 'log'),
    });
    expect(placed).toMatchObject({ path: disk, offset, size: built.size });
    const bytes = await readFile(disk);
    expect(bytes.length).toBe(offset + built.size + 4096);
    expect(bytes.subarray(0, 512).equals(head)).toBe(true);
    expect(bytes.subarray(offset, offset + built.size).equals(await readFile(standalone))).toBe(true);
    expect(bytes.subarray(offset + built.size).every((b) => b === 0)).toBe(true);
  });
});
