import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSquashfs,
  listSquashfs,
  squashfsInfo,
  extractSquashfs,
  type SquashfsEntry,
  type ProgressEvent,
} from '@distroforge/squashfs-wrap';
import { buildTree, treeManifest, unicodeName } from './fixture.js';

let work: string;
let root: string;
let image: string;
let entries: SquashfsEntry[];
const progress: ProgressEvent[] = [];
const byPath = (path: string) => entries.find((e) => e.path === path);
const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

beforeAll(async () => {
  ({ work, root } = await buildTree());
  image = join(work, 'root.sqfs');
  await createSquashfs({
    source: root,
    output: image,
    manifest: treeManifest(),
    compression: { algorithm: 'zstd', level: 3 },
    blockSize: 65536,
    sourceDateEpoch: 1_700_000_000,
    excludes: ['var/cache/*'],
    onProgress: (e) => progress.push(e),
  });
  entries = await listSquashfs(image);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('createSquashfs with a manifest, checked with unsquashfs -lln', () => {
  it('applies owners and modes to files that exist on disk', () => {
    expect(byPath('/etc/shadow')).toMatchObject({ type: 'file', uid: 0, gid: 42, mode: 0o640 });
    expect(byPath('/usr/bin/su')).toMatchObject({ type: 'file', uid: 0, gid: 0, mode: 0o4755 });
    expect(byPath('/home/alice')).toMatchObject({ type: 'dir', uid: 1000, gid: 1000, mode: 0o700 });
    expect(byPath(`/home/alice/${unicodeName}`)).toMatchObject({
      type: 'file',
      uid: 1000,
      gid: 1000,
      size: Buffer.byteLength('héllo\n'),
    });
  });

  it('creates device nodes, fifos, dirs and symlinks that do not exist on disk', () => {
    expect(byPath('/dev')).toMatchObject({ type: 'dir', mode: 0o755, uid: 0, gid: 0 });
    expect(byPath('/dev/console')).toMatchObject({ type: 'char', major: 5, minor: 1, mode: 0o600, uid: 0, gid: 5 });
    expect(byPath('/dev/sda')).toMatchObject({ type: 'block', major: 8, minor: 0, mode: 0o660, gid: 6 });
    expect(byPath('/run/initctl')).toMatchObject({ type: 'fifo', mode: 0o600 });
    expect(byPath('/run/lock')).toMatchObject({ type: 'dir', mode: 0o1777 });
    expect(byPath('/bin')).toMatchObject({ type: 'symlink', target: 'usr/bin' });
    expect(byPath('/dev/console')?.mtime).toBe('2023-11-14 22:13');
  });

  it('keeps on-disk symlinks and hard links, clamps mtimes to the epoch, keeps older ones', async () => {
    expect(byPath('/etc/su-link')).toMatchObject({ type: 'symlink', target: '../usr/bin/su' });
    expect(byPath('/usr/bin/su-hardlink')).toMatchObject({ mode: 0o4755, size: byPath('/usr/bin/su')?.size });
    expect(byPath('/etc/hostname')?.mtime).toBe('2020-09-13 12:26');
    expect(byPath('/etc/shadow')?.mtime).toBe('2023-11-14 22:13');
    const extracted = join(work, 'extracted');
    await extractSquashfs(image, extracted);
    const [a, b] = await Promise.all([
      stat(join(extracted, 'usr/bin/su')),
      stat(join(extracted, 'usr/bin/su-hardlink')),
    ]);
    expect(a.ino).toBe(b.ino);
    expect(a.nlink).toBe(2);
  });

  it('leaves excluded paths and their manifest entries out', () => {
    expect(byPath('/var/cache/apt')).toBeUndefined();
    expect(byPath('/var/cache/apt/pkgcache.bin')).toBeUndefined();
    expect(byPath('/var/cache')).toMatchObject({ type: 'dir' });
  });

  it('stores the requested compressor, block size and mkfs time', async () => {
    const info = await squashfsInfo(image);
    expect(info).toMatchObject({
      compression: 'zstd',
      blockSize: 65536,
      mkfsTime: 1_700_000_000,
      inodeCount: entries.length - 1,
    }); // su and su-hardlink share one inode
    expect(info.compressorOptions['compression-level']).toBe('3');
  });

  it('reports progress up to 100% and keeps the full log in a file', async () => {
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ percent: 100 });
    const percents = progress.map((e) => e.percent);
    expect(percents).toEqual([...percents].sort((x, y) => x - y));
    const log = await readFile(`${image}.log`, 'utf8');
    expect(log).toMatch(/^\$ \S*mksquashfs /);
    expect(log).toContain('Exportable Squashfs 4.0 filesystem, zstd compressed');
  });

  it('leaves no temp, pseudo or exclude files next to the image', async () => {
    expect((await readdir(work)).sort()).toEqual(['extracted', 'extracted.log', 'root', 'root.sqfs', 'root.sqfs.log']);
  });
});

describe('compressors', () => {
  it.each([
    [{ algorithm: 'gzip', level: 6 }, 'gzip'],
    [{ algorithm: 'xz' }, 'xz'],
    [{ algorithm: 'zstd', level: 19 }, 'zstd'],
    [{ algorithm: 'lz4' }, 'lz4'],
    [{ algorithm: 'lzo', level: 9 }, 'lzo'],
  ] as const)('%j is what unsquashfs -s reports', async (compression, name) => {
    const output = join(work, `comp-${name}.sqfs`);
    await createSquashfs({ source: join(root, 'etc'), output, compression, sourceDateEpoch: 1 });
    const info = await squashfsInfo(output);
    expect(info.compression).toBe(name);
    if ('level' in compression) expect(info.compressorOptions['compression-level']).toBe(String(compression.level));
    await rm(output);
    await rm(`${output}.log`);
  });
});

describe('reproducibility', () => {
  it('two builds with the same epoch are byte-identical, a different epoch changes the bytes', async () => {
    const build = async (name: string, epoch: number, processors: number) => {
      const output = join(work, name);
      await createSquashfs({
        source: root,
        output,
        manifest: treeManifest(),
        preset: 'dev',
        sourceDateEpoch: epoch,
        processors,
        logFile: join(work, `${name}.log`),
      });
      return sha256(output);
    };
    const first = await build('a.sqfs', 1_700_000_000, 1);
    const second = await build('b.sqfs', 1_700_000_000, 2);
    const other = await build('c.sqfs', 1_700_000_001, 1);
    expect(second).toBe(first);
    expect(other).not.toBe(first);
    await Promise.all(['a', 'b', 'c'].flatMap((n) => [rm(join(work, `${n}.sqfs`)), rm(join(work, `${n}.sqfs.log`))]));
  });

  it('takes SOURCE_DATE_EPOCH from the environment and never passes -mkfs-time with it', async () => {
    const output = join(work, 'env.sqfs');
    const saved = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = '1234567890';
    try {
      const result = await createSquashfs({ source: root, output, preset: 'dev' });
      expect(result.sourceDateEpoch).toBe(1234567890);
      expect(result.args).not.toContain('-mkfs-time');
      expect((await squashfsInfo(output)).mkfsTime).toBe(1234567890);
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = saved;
      await rm(output, { force: true });
      await rm(`${output}.log`, { force: true });
    }
  });

  it('without any epoch sets the mkfs time to 0 and keeps on-disk mtimes', async () => {
    const output = join(work, 'noepoch.sqfs');
    const saved = process.env.SOURCE_DATE_EPOCH;
    delete process.env.SOURCE_DATE_EPOCH;
    try {
      await createSquashfs({ source: root, output, preset: 'dev' });
      expect((await squashfsInfo(output)).mkfsTime).toBe(0);
      const listed = await listSquashfs(output);
      expect(listed.find((e) => e.path === '/etc/hostname')?.mtime).toBe('2020-09-13 12:26');
    } finally {
      if (saved !== undefined) process.env.SOURCE_DATE_EPOCH = saved;
      await rm(output, { force: true });
      await rm(`${output}.log`, { force: true });
    }
  });
});

describe("owner: 'root' (a tree built without root: every file the builder's, the manifest the truth)", () => {
  it('stores what the manifest does not name as 0:0 and keeps what it names; disk keeps the builder', async () => {
    if (process.getuid?.() !== 0) return; // chown to a builder id needs root; the non-root build's e2e covers the rest
    const { work: tree, root: source } = await buildTree();
    try {
      const { chown } = await import('node:fs/promises');
      const { execa } = await import('execa');
      await execa('chown', ['-R', '-h', '1234:1234', source]);
      await execa('chmod', ['4755', join(source, 'usr/bin/su')]); // chown cleared it
      await chown(join(source, 'etc/hostname'), 0, 7); // owned by root's uid on disk, another group: still reset
      const manifest = treeManifest();
      const list = async (owner: 'root' | 'disk') => {
        const output = join(tree, `${owner}.sqfs`);
        await createSquashfs({ source, output, manifest, sourceDateEpoch: 1_700_000_000, owner });
        return (await listSquashfs(output)).map((e) => ({ path: e.path, uid: e.uid, gid: e.gid, mode: e.mode }));
      };
      const asRoot = await list('root');
      const asDisk = await list('disk');
      const owned = (listing: typeof asRoot, path: string) => listing.find((e) => e.path === path);
      expect(owned(asRoot, '/')).toMatchObject({ uid: 0, gid: 0 });
      expect(owned(asRoot, '/etc/hostname')).toMatchObject({ uid: 0, gid: 0 });
      expect(owned(asRoot, '/usr/bin/su')).toMatchObject({ uid: 0, gid: 0, mode: 0o4755 });
      expect(owned(asRoot, '/etc/shadow')).toMatchObject({ uid: 0, gid: 42, mode: 0o640 });
      expect(owned(asRoot, '/home/alice')).toMatchObject({ uid: 1000, gid: 1000 });
      expect(asRoot.filter((e) => e.uid === 1234 || e.gid === 1234)).toEqual([]);
      expect(owned(asDisk, '/etc/hostname')).toMatchObject({ uid: 0, gid: 7 });
      expect(owned(asDisk, '/usr')).toMatchObject({ uid: 1234, gid: 1234 });
      expect(asDisk.map((e) => e.path)).toEqual(asRoot.map((e) => e.path));
    } finally {
      await rm(tree, { recursive: true, force: true });
    }
  });
});
