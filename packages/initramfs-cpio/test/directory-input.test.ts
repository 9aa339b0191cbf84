import { execa } from 'execa';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyManifest, mergeManifest } from '@distroforge/core';
import { listCpio, packCpio } from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';

let work: string;
let tree: string;
beforeAll(async () => {
  work = await tempDir();
  tree = join(work, 'tree');
  await mkdir(join(tree, 'etc'), { recursive: true });
  await writeFile(join(tree, 'etc/shadow'), 'root:*:1::::::\n');
  await writeFile(join(tree, 'dev-placeholder'), '');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('directory input with a manifest', () => {
  it('overrides owner, group and mode and adds nodes (with parents) that are not on disk', async () => {
    const manifest = mergeManifest(emptyManifest(), [
      { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 },
      { path: '/dev/net/tun', type: 'char', mode: 0o666, major: 10, minor: 200 },
      { path: '/run/initctl', type: 'fifo', mode: 0o600 },
      { path: '/bin/sh', type: 'symlink', target: 'busybox' },
      { path: '/dev-placeholder', type: 'block', mode: 0o660, major: 8, minor: 0 },
    ]);
    const output = join(work, 'manifest.cpio');
    await packCpio({ input: { directory: tree, manifest, owner: 'root' }, output, sourceDateEpoch: 0 });
    const entries = new Map((await listCpio(output)).map((e) => [e.name, e]));
    expect(entries.get('etc/shadow')).toMatchObject({ uid: 0, gid: 42, mode: 0o640, size: 15 });
    expect(entries.get('dev/net/tun')).toMatchObject({ type: 'char', rdevMajor: 10, rdevMinor: 200, mode: 0o666 });
    expect(entries.get('dev/net')).toMatchObject({ type: 'dir', mode: 0o755 });
    expect(entries.get('dev')).toMatchObject({ type: 'dir' });
    expect(entries.get('run/initctl')).toMatchObject({ type: 'fifo', mode: 0o600 });
    expect(entries.get('bin/sh')).toMatchObject({ type: 'symlink', target: 'busybox' });
    expect(entries.get('dev-placeholder')).toMatchObject({ type: 'block', rdevMajor: 8, rdevMinor: 0, size: 0 });
    const { stdout } = await execa('cpio', ['-itv', '--quiet', '--numeric-uid-gid', '-F', output], {
      env: { TZ: 'UTC', LC_ALL: 'C' },
    });
    expect(stdout).toMatch(/^crw-rw-rw- +1 0 +0 +10, 200 .* dev\/net\/tun$/m);
  });

  it('refuses manifest entries it cannot honour, naming the path', async () => {
    const bad = async (entries: Parameters<typeof mergeManifest>[1]) =>
      packCpio({
        input: { directory: tree, manifest: mergeManifest(emptyManifest(), entries) },
        output: join(work, 'bad.cpio'),
      });
    await expect(bad([{ path: '/missing/file', uid: 0 }])).rejects.toMatchObject({
      code: 'ERR_CPIO_BAD_ENTRY',
      path: '/missing/file',
    });
    await expect(bad([{ path: '/etc', type: 'char', major: 1, minor: 1 }])).rejects.toMatchObject({
      code: 'ERR_CPIO_BAD_ENTRY',
      path: '/etc',
    });
    await expect(bad([{ path: '/etc/shadow', type: 'dir' }])).rejects.toMatchObject({ code: 'ERR_CPIO_BAD_ENTRY' });
  });

  it('a 4 GiB file is ERR_CPIO_FIELD_OVERFLOW and leaves no output behind', async () => {
    const big = join(work, 'big');
    await mkdir(big);
    await execa('truncate', ['-s', String(2 ** 32), join(big, 'huge.img')]);
    const output = join(work, 'out', 'huge.cpio');
    await mkdir(join(work, 'out'));
    await expect(packCpio({ input: { directory: big }, output })).rejects.toMatchObject({
      code: 'ERR_CPIO_FIELD_OVERFLOW',
      field: 'filesize',
      value: 2 ** 32,
      path: 'huge.img',
    });
    expect(await readdir(join(work, 'out'))).toEqual([]);
  });
});
