import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
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
  buildExt4Image({ directory: tree, manifest, output, uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C', hashSeed: '6A1D9B0E-1111-4222-8333-444455556666', sourceDateEpoch: epoch, logFile: join(work, 'log'), freeSpace: 8 * 1024 * 1024 });

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
    expect(await stat(image, '/home/user')).toMatch(/Type: directory\s+Mode:\s+0700[\s\S]*User:\s+1000\s+Group:\s+1000/);
    expect(await stat(image, '/home/user/notes.txt')).toMatch(/User:\s+0\s+Group:\s+0/);
    expect(await stat(image, '/dev/null')).toMatch(/Type: character special\s+Mode:\s+0666[\s\S]*Device major\/minor number: 01:03/);
    expect(await stat(image, '/dev/sda')).toMatch(/Type: block special\s+Mode:\s+0660[\s\S]*Group:\s+6[\s\S]*Device major\/minor number: 08:00/);
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
    await buildExt4Image({ directory: owned, manifest, output: image, uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C', hashSeed: '6A1D9B0E-1111-4222-8333-444455556666', sourceDateEpoch: epoch, logFile: join(work, 'log'), freeSpace: 8 * 1024 * 1024 });
    expect(await stat(image, '/home/user/notes.txt')).toMatch(/User:\s+0\s+Group:\s+0/);
    expect(await stat(image, '/home/user')).toMatch(/User:\s+1000\s+Group:\s+1000/);
    expect(await stat(image, '/etc/shadow')).toMatch(/User:\s+0\s+Group:\s+42/);
    const reference = join(work, 'reference.ext4');
    await build(reference);
    expect((await readFile(image)).equals(await readFile(reference))).toBe(true);
  });
});
