import { emptyManifest, mergeManifest } from '@distroforge/core';
import { execa } from 'execa';
import { chmod, link, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRootfsTar, type RootfsTarOptions } from '../src/pipeline/rootfs-tar.js';

const epoch = 1_700_000_000;
let work: string;
let options: RootfsTarOptions;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rootfs-tar-'));
  const root = join(work, 'root');
  for (const dir of ['etc', 'usr/bin', 'dev', `usr/share/${'deep/'.repeat(30)}x`])
    await mkdir(join(root, dir), { recursive: true });
  await writeFile(join(root, 'etc/shadow'), 'root:*:19000::::::\n');
  await writeFile(join(root, 'usr/bin/busybox'), Buffer.alloc(70_000, 5));
  await chmod(join(root, 'usr/bin/busybox'), 0o755);
  await link(join(root, 'usr/bin/busybox'), join(root, 'usr/bin/sh'));
  await symlink('usr/bin', join(root, 'bin'));
  await writeFile(join(root, `usr/share/${'deep/'.repeat(30)}x/long-name-file`), 'deep\n');
  // A file newer than the epoch: the archive clamps it.
  await writeFile(join(root, 'etc/new'), 'new\n');
  await utimes(join(root, 'etc/new'), epoch + 1000, epoch + 1000);
  await utimes(join(root, 'etc/shadow'), epoch - 1000, epoch - 1000);
  options = {
    directory: root,
    manifest: mergeManifest(emptyManifest(), [
      { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 },
      { path: '/usr/bin/busybox', mode: 0o4755 },
      { path: '/dev/console', type: 'char', major: 5, minor: 1, mode: 0o600 },
      { path: '/dev/initctl', type: 'fifo', mode: 0o600 },
      { path: '/usr/bin/ping', type: 'symlink', target: 'busybox' },
    ]),
    output: join(work, 'root.tar'),
    sourceDateEpoch: epoch,
    owner: 'root',
  };
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('writeRootfsTar', () => {
  it('writes what GNU tar lists: manifest owners, modes and nodes, hard links, symlinks, long names, clamped times', async () => {
    const tar = await writeRootfsTar(options);
    const listing = (
      await execa('tar', ['-tvf', options.output, '--numeric-owner', '--full-time'], { env: { TZ: 'UTC' } })
    ).stdout.split('\n');
    const line = (name: string) => listing.find((l) => l.endsWith(` ${name}`) || l.includes(` ${name} `));
    expect(listing[0]).toMatch(/^drwxr-xr-x 0\/0\s+0 2023-11-14 22:13:20 \.\/$/);
    expect(line('./etc/shadow')).toMatch(/^-rw-r----- 0\/42\s+19 2023-11-14 21:56:40 \.\/etc\/shadow$/);
    expect(line('./etc/new')).toMatch(/^-rw-r--r-- 0\/0\s+4 2023-11-14 22:13:20 \.\/etc\/new$/);
    expect(line('./usr/bin/busybox')).toMatch(/^-rwsr-xr-x 0\/0\s+70000 /);
    expect(line('./usr/bin/sh')).toMatch(/^hrwxr-xr-x 0\/0\s+0 .* \.\/usr\/bin\/sh link to \.\/usr\/bin\/busybox$/);
    expect(line('./bin')).toMatch(/^lrwxrwxrwx 0\/0\s+0 .* \.\/bin -> usr\/bin$/);
    expect(line('./usr/bin/ping')).toMatch(/ \.\/usr\/bin\/ping -> busybox$/);
    expect(line('./dev/console')).toMatch(/^crw------- 0\/0\s+5,1 .* \.\/dev\/console$/);
    expect(line('./dev/initctl')).toMatch(/^prw------- 0\/0\s+0 /);
    expect(listing.filter((l) => l.endsWith(` ./usr/share/${'deep/'.repeat(30)}x/long-name-file`))).toHaveLength(1);
    expect(tar.entries).toBe(listing.length);
    // bsdtar reads it too, and the contents come back.
    const out = join(work, 'x');
    await mkdir(out);
    await execa('bsdtar', ['-xf', options.output, '-C', out, '--exclude', './dev/*']);
    expect(await readFile(join(out, 'usr/bin/sh'))).toEqual(Buffer.alloc(70_000, 5));
    expect(tar.sha256).toBe((await execa('sha256sum', [options.output])).stdout.split(' ')[0]);
  });

  it('is byte-identical when written again, and keeps found owners with owner: disk', async () => {
    const first = await writeRootfsTar(options);
    const again = await writeRootfsTar({ ...options, output: join(work, 'again.tar') });
    expect(again.sha256).toBe(first.sha256);
    await writeRootfsTar({ ...options, output: join(work, 'disk.tar'), owner: 'disk' });
    const uid = process.getuid!();
    const listing = (await execa('tar', ['-tvf', join(work, 'disk.tar'), '--numeric-owner'])).stdout;
    expect(listing).toMatch(new RegExp(`^-rw-r--r-- ${uid}/\\d+ .* \\./etc/new$`, 'm'));
    expect(listing).toMatch(/^-rw-r----- 0\/42 .* \.\/etc\/shadow$/m);
  });

  it('leaves no archive behind when the tree cannot be read', async () => {
    await expect(
      writeRootfsTar({ ...options, directory: join(work, 'missing'), output: join(work, 'bad.tar') }),
    ).rejects.toThrow();
    await expect(readFile(join(work, 'bad.tar'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
