import { execa } from 'execa';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCpio, writeCpio, type CpioEntry } from '@distroforge/initramfs-cpio';
import { collect, gnuCpio, makeTree, tempDir } from './helpers.js';

let work: string;
let tree: string;
beforeAll(async () => {
  work = await tempDir();
  tree = join(work, 'tree');
  await makeTree(tree);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('directory input against GNU cpio', () => {
  it('writes the same bytes as cpio -o -H newc --reproducible fed the sorted file list', async () => {
    await gnuCpio(tree, join(work, 'gnu.cpio'));
    await packCpio({ input: { directory: tree }, output: join(work, 'ours.cpio'), sourceDateEpoch: null });
    const [gnu, ours] = await Promise.all([readFile(join(work, 'gnu.cpio')), readFile(join(work, 'ours.cpio'))]);
    expect(ours.length).toBe(gnu.length);
    expect(ours.equals(gnu)).toBe(true);
  });

  it('is listed by GNU cpio -itv exactly as the tree is', async () => {
    const output = join(work, 'list.cpio');
    await packCpio({ input: { directory: tree }, output, sourceDateEpoch: null });
    await gnuCpio(tree, join(work, 'gnu-list.cpio'));
    const list = async (file: string) =>
      (await execa('cpio', ['-itv', '--quiet', '--numeric-uid-gid', '-F', file], { env: { TZ: 'UTC', LC_ALL: 'C' } }))
        .stdout;
    const ours = await list(output);
    expect(ours).toBe(await list(join(work, 'gnu-list.cpio')));
    expect(ours).toContain('zz-unicodé-日本');
    expect(ours).toMatch(/^-rwsr-xr-x .* bin\/tool$/m);
    expect(ours).toMatch(/^prw-r--r-- .* etc\/fifo$/m);
    expect(ours).toMatch(/^lrwxrwxrwx .* bin\/hosts-sym -> \.\.\/etc\/hosts$/m);
    expect(ours).toMatch(/^-rw-r--r--\s+3 .* hosts-link$/m);
  });
});

describe('entries input', () => {
  const base = { mode: 0o644, uid: 0, gid: 0 } as const;

  it('writes devices with major/minor that GNU cpio and bsdtar list', async () => {
    const entries: CpioEntry[] = [
      { path: '/', type: 'dir', mode: 0o755 },
      { path: '/dev', type: 'dir', mode: 0o755 },
      { path: '/dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
      { path: '/dev/sda1', type: 'block', mode: 0o660, gid: 6, major: 8, minor: 1 },
      { path: '/dev/big', type: 'char', mode: 0o600, major: 4095, minor: 1048575 },
      { path: '/run', type: 'dir', mode: 0o755 },
      { path: '/run/sock', type: 'socket', mode: 0o755 },
    ];
    const output = join(work, 'dev.cpio');
    await packCpio({ input: { entries }, output, sourceDateEpoch: null });
    const { stdout } = await execa('cpio', ['-itv', '--quiet', '--numeric-uid-gid', '-F', output], {
      env: { TZ: 'UTC', LC_ALL: 'C' },
    });
    expect(stdout).toMatch(/^crw-------\s+1 0\s+0\s+5,\s+1 .* dev\/console$/m);
    expect(stdout).toMatch(/^brw-rw----\s+1 0\s+6\s+8,\s+1 .* dev\/sda1$/m);
    expect(stdout).toMatch(/^crw-------\s+1 0\s+0\s+4095,\s+1048575 .* dev\/big$/m);
    expect(stdout).toMatch(/^srwxr-xr-x .* run\/sock$/m);
    const bsd = (await execa('bsdtar', ['-tvf', output], { env: { TZ: 'UTC' } })).stdout;
    expect(bsd).toMatch(/^crw-------\s+1 0\s+0\s+5,1 .* dev\/console$/m);
    expect(bsd).toMatch(/^brw-rw----\s+1 0\s+6\s+8,1 .* dev\/sda1$/m);
    expect(bsd).toMatch(/^crw-------\s+1 0\s+0\s+4095,1048575 .* dev\/big$/m);
  });

  it('keeps mtime 0 as 0 and clamps later mtimes to SOURCE_DATE_EPOCH', async () => {
    const archive = await collect(
      writeCpio(
        [
          { ...base, path: 'zero', type: 'file', data: 'x', mtime: 0 },
          { ...base, path: 'late', type: 'file', data: 'y', mtime: 2_000_000_000 },
          { ...base, path: 'none', type: 'file', data: 'z' },
        ],
        { sourceDateEpoch: 1_000 },
      ),
    );
    const mtimes = [...archive.toString('latin1').matchAll(/070701([0-9A-F]{8}){6}/g)].map((m) => m[0]);
    const field = (header: string) => Number.parseInt(header.slice(6 + 5 * 8, 6 + 6 * 8), 16);
    expect(mtimes.map(field)).toEqual([0, 1_000, 1_000, 0]);
    const unclamped = await collect(
      writeCpio([{ ...base, path: 'none', type: 'file', data: 'z' }], { sourceDateEpoch: null }),
    );
    expect(field(unclamped.toString('latin1'))).toBe(0);
  });

  it('writes hard links as one inode with the data on the last name', async () => {
    const output = join(work, 'links.cpio');
    await packCpio({
      input: { entries: [{ ...base, path: 'a', type: 'file', data: 'shared\n', links: ['b', 'c/d'] }] },
      output,
      sourceDateEpoch: null,
    });
    const { stdout } = await execa('cpio', ['-itv', '--quiet', '-F', output], { env: { TZ: 'UTC', LC_ALL: 'C' } });
    expect(
      stdout.split('\n').map((l) =>
        l
          .replace(/\s+/g, ' ')
          .split(' ')
          .filter((_, i) => i === 1 || i === 4 || i === 8)
          .join(' '),
      ),
    ).toEqual(['3 0 a', '3 0 b', '3 7 c/d']);
    const extracted = await tempDir();
    await execa('cpio', ['-id', '--quiet', '-F', output], { cwd: extracted });
    const { stdout: inodes } = await execa('stat', ['-c', '%i %h %s', 'a', 'b', 'c/d'], { cwd: extracted });
    const rows = inodes.split('\n');
    expect(new Set(rows).size).toBe(1);
    expect(rows[0]).toMatch(/ 3 7$/);
    await rm(extracted, { recursive: true });
  });

  it('pads the archive to 512 bytes after a correct TRAILER!!!', async () => {
    const archive = await collect(
      writeCpio([{ ...base, path: 'x', type: 'file', data: 'abc' }], { sourceDateEpoch: null }),
    );
    expect(archive.length % 512).toBe(0);
    const trailer = archive.indexOf('070701', 100);
    expect(archive.subarray(trailer, trailer + 110 + 11).toString('latin1')).toBe(
      `070701${'0'.repeat(32)}00000001${'0'.repeat(48)}0000000B00000000TRAILER!!!\0`,
    );
    expect(archive.subarray(trailer + 124).every((b) => b === 0)).toBe(true);
  });

  it('yields the same bytes for the same input', async () => {
    const a = await collect(
      writeCpio([{ ...base, path: 'x', type: 'file', data: 'abc', mtime: 5 }], { sourceDateEpoch: null }),
    );
    const b = await collect(
      writeCpio([{ ...base, path: 'x', type: 'file', data: 'abc', mtime: 5 }], { sourceDateEpoch: null }),
    );
    expect(a.equals(b)).toBe(true);
  });
});
