import { execa } from 'execa';
import { lstat, mkdir, readFile, readlink, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  extractCpio,
  listCpio,
  packCpio,
  writeCpio,
  writeInitramfs,
  type CpioEntry,
  type CpioListEntry,
} from '@distroforge/initramfs-cpio';
import { collect, gnuCpio, makeTree, tempDir } from './helpers.js';

let work: string;
let tree: string;
let gnuArchive: string;
beforeAll(async () => {
  work = await tempDir();
  tree = join(work, 'tree');
  await makeTree(tree);
  gnuArchive = join(work, 'gnu.cpio');
  await gnuCpio(tree, gnuArchive);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** One line per member like `cpio -itv --numeric-uid-gid`, rebuilt from our listing. */
const summary = (entries: CpioListEntry[]) =>
  entries.map(
    (e) =>
      `${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid} n${e.nlink} ${e.size} ${e.mtime} ${e.rdevMajor},${e.rdevMinor} ${e.name}${e.target ? ` -> ${e.target}` : ''}`,
  );

describe('listCpio', () => {
  it('lists an archive written by GNU cpio with every field GNU cpio -itv shows', async () => {
    const ours = await listCpio(gnuArchive);
    const { stdout } = await execa('cpio', ['-itv', '--quiet', '--numeric-uid-gid', '-F', gnuArchive], {
      env: { TZ: 'UTC', LC_ALL: 'C' },
    });
    const gnu = stdout.split('\n');
    expect(ours.map((e) => e.name)).toEqual(
      gnu.map((l) =>
        l
          .replace(/ -> .*/, '')
          .split(/\s+/)
          .slice(8)
          .join(' '),
      ),
    );
    expect(ours.map((e) => e.nlink)).toEqual(gnu.map((l) => Number(l.split(/\s+/)[1])));
    expect(ours.map((e) => e.size)).toEqual(
      gnu.map((l) => (l.startsWith('l') ? Number(l.split(/\s+/)[4]) : Number(l.split(/\s+/)[4]))),
    );
    expect(ours.find((e) => e.name === 'bin/hosts-sym')?.target).toBe('../etc/hosts');
    expect(ours.find((e) => e.name === 'bin/tool')).toMatchObject({ type: 'file', mode: 0o4755, mtime: 1_600_000_000 });
    expect(ours.find((e) => e.name === 'etc/fifo')?.type).toBe('fifo');
  });

  it.each(['none', 'gzip', 'zstd', 'xz'] as const)('reads back what it wrote, compressed with %s', async (compress) => {
    const output = join(work, `tree.${compress}.cpio`);
    await packCpio({ input: { directory: tree }, output, compress, sourceDateEpoch: null });
    expect(summary(await listCpio(output))).toEqual(summary(await listCpio(gnuArchive)));
    if (compress !== 'none') expect((await listCpio(output))[0]?.compression).toBe(compress);
  });

  it('reads concatenated archives: uncompressed early part, then a compressed main part (as the kernel does)', async () => {
    const ucode = join(work, 'ucode');
    await mkdir(join(ucode, 'kernel/x86/microcode'), { recursive: true });
    await writeFile(join(ucode, 'kernel/x86/microcode/GenuineIntel.bin'), 'microcode');
    const output = join(work, 'concat.img');
    const result = await writeInitramfs({
      output,
      sourceDateEpoch: 0,
      segments: [
        { input: { directory: ucode, owner: 'root' }, compress: 'none' },
        { input: { directory: tree }, compress: 'zstd' },
      ],
    });
    expect(result.segmentBytes).toHaveLength(2);
    expect(result.segmentBytes[0]! % 512).toBe(0);
    const entries = await listCpio(output);
    expect(entries.filter((e) => e.archive === 0).map((e) => e.name)).toEqual([
      '.',
      'kernel',
      'kernel/x86',
      'kernel/x86/microcode',
      'kernel/x86/microcode/GenuineIntel.bin',
    ]);
    expect(entries.filter((e) => e.archive === 1)).toHaveLength((await listCpio(gnuArchive)).length);
    // bsdtar reads only the first archive, GNU cpio too: the kernel is the reader that matters (boot test).
    const bsd = await execa('bsdtar', ['-tf', output]);
    expect(bsd.stdout.split('\n')).toContain('kernel/x86/microcode/GenuineIntel.bin');
  });

  it('reports truncation and corruption as typed errors', async () => {
    const archive = await readFile(join(work, 'tree.none.cpio'));
    const trailer = archive.lastIndexOf('TRAILER!!!');
    for (const cut of [50, 200, 1000, trailer - 50]) {
      await expect(listCpio(archive.subarray(0, cut))).rejects.toMatchObject({ code: 'ERR_CPIO_TRUNCATED' });
    }
    await expect(listCpio(Buffer.alloc(0))).rejects.toMatchObject({ code: 'ERR_CPIO_TRUNCATED' });
    await expect(listCpio(Buffer.from('hello world, not a cpio archive at all'))).rejects.toMatchObject({
      code: 'ERR_CPIO_CORRUPT',
    });
    const badHex = Buffer.from(archive);
    badHex.write('ZZ', 20, 'latin1');
    await expect(listCpio(badHex)).rejects.toMatchObject({ code: 'ERR_CPIO_CORRUPT' });
    const gz = await readFile(join(work, 'tree.gzip.cpio'));
    // Compressed data cut short is truncated, as an uncompressed archive cut short is.
    await expect(listCpio(gz.subarray(0, gz.length - 40))).rejects.toMatchObject({ code: 'ERR_CPIO_TRUNCATED' });
    const zst = await readFile(join(work, 'tree.zstd.cpio'));
    await expect(listCpio(zst.subarray(0, zst.length - 10))).rejects.toMatchObject({ code: 'ERR_CPIO_TRUNCATED' });
    const cutInsideStream = await listCpio(zst.subarray(0, 40)).catch((e: unknown) => e);
    expect(cutInsideStream).toMatchObject({
      code: 'ERR_CPIO_TRUNCATED',
      value: 'zstd',
      cause: { code: 'ERR_DECOMPRESS_TRUNCATED' },
    });
    const flipped = Buffer.from(gz);
    const middle = Math.floor(gz.length / 2);
    flipped.writeUInt8(flipped.readUInt8(middle) ^ 0xff, middle);
    await expect(listCpio(flipped)).rejects.toMatchObject({
      code: expect.stringMatching(/ERR_CPIO_(CORRUPT|TRUNCATED)/),
    });
  });

  it('is needed: cpio-stream decodes UTF-8 names as ASCII and stops at the first trailer', async () => {
    const require = createRequire(import.meta.url);
    const cpio = require('cpio-stream') as { extract(): NodeJS.WritableStream & NodeJS.EventEmitter };
    const archive = await collect(
      writeCpio([{ path: 'zz-日本', type: 'file', mode: 0o644, data: 'x' }], { sourceDateEpoch: null }),
    );
    const names: string[] = [];
    const extract = cpio.extract();
    extract.on('entry', (header: { name: string }, stream: NodeJS.ReadableStream, next: () => void) => {
      names.push(header.name);
      stream.on('end', next);
      stream.resume();
    });
    await new Promise((resolveDone, reject) => {
      extract.on('finish', resolveDone);
      extract.on('error', reject);
      extract.end(Buffer.concat([archive, archive]));
    });
    expect(names).toHaveLength(1);
    expect(names[0]).not.toBe('zz-日本');
    expect((await listCpio(Buffer.concat([archive, archive]))).map((e) => e.name)).toEqual(['zz-日本', 'zz-日本']);
  });
});

describe('extractCpio', () => {
  it('extracts a tree identical to the original (contents, modes, links, mtimes) and returns its manifest', async () => {
    const target = join(work, 'out');
    const result = await extractCpio(join(work, 'tree.xz.cpio'), target);
    const walk = async (root: string, rel = ''): Promise<string[]> => {
      const out: string[] = [];
      for (const name of (await readdir(join(root, rel))).sort()) {
        const path = join(rel, name);
        const s = await lstat(join(root, path));
        const body = s.isFile()
          ? (await readFile(join(root, path))).toString('base64')
          : s.isSymbolicLink()
            ? await readlink(join(root, path))
            : '';
        out.push(`${path} ${s.mode.toString(8)} ${s.nlink} ${s.isDirectory() ? '' : s.mtimeMs} ${body}`);
        if (s.isDirectory()) out.push(...(await walk(root, path)));
      }
      return out;
    };
    const original = (await walk(tree)).filter((l) => !l.startsWith('etc/fifo'));
    expect(await walk(target)).toEqual(original);
    expect((await stat(join(target, 'hosts-link'))).ino).toBe((await stat(join(target, 'etc/hosts'))).ino);
    expect(result.manifest.entries.find((e) => e.path === '/etc/fifo')).toMatchObject({ type: 'fifo', mode: 0o644 });
    expect(result.manifest.entries.find((e) => e.path === '/bin/tool')).toMatchObject({ type: 'file', mode: 0o4755 });
  });

  it('records device nodes in the manifest instead of needing root', async () => {
    const archive = await collect(
      writeCpio(
        [
          { path: 'dev', type: 'dir', mode: 0o755 },
          { path: 'dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
        ],
        { sourceDateEpoch: null },
      ),
    );
    const target = join(work, 'devs');
    const { manifest, entries } = await extractCpio(archive, target);
    expect(entries).toBe(2);
    expect(manifest.entries).toContainEqual({
      path: '/dev/console',
      type: 'char',
      uid: 0,
      gid: 0,
      mode: 0o600,
      major: 5,
      minor: 1,
    });
  });

  const hostile = (entries: CpioEntry[]) => collect(writeCpio(entries, { sourceDateEpoch: null }));
  const raw = (name: string) => {
    // Names the writer itself refuses, encoded by hand.
    const header = `070701${'00000000'}${'000081A4'}${'0'.repeat(8 * 4)}${'00000000'.repeat(1)}${'0'.repeat(8 * 4)}${(Buffer.byteLength(name) + 1).toString(16).padStart(8, '0')}00000000`;
    const member = Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(`${name}\0`)]);
    const padded = Buffer.concat([member, Buffer.alloc((4 - (member.length % 4)) % 4)]);
    return padded;
  };
  it.each(['../escape', 'a/../../escape', '/etc/passwd-abs'])('refuses the name %s', async (name) => {
    const trailer = await hostile([]);
    const target = join(work, 'hostile');
    await expect(extractCpio(Buffer.concat([raw(name), trailer]), target)).rejects.toMatchObject({
      code: 'ERR_CPIO_UNSAFE_PATH',
    });
    await expect(stat(join(work, 'escape'))).rejects.toThrow();
  });

  it('refuses to write through a symlink it extracted', async () => {
    const outside = join(work, 'outside');
    await mkdir(outside, { recursive: true });
    const archive = await hostile([
      { path: 'link', type: 'symlink', mode: 0o777, target: outside },
      { path: 'link/owned', type: 'file', mode: 0o644, data: 'pwned' },
    ]);
    await expect(extractCpio(archive, join(work, 'through'))).rejects.toMatchObject({ code: 'ERR_CPIO_UNSAFE_PATH' });
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses a target that is not empty, leaving it untouched: a symlink planted there is never written through', async () => {
    const outside = join(work, 'victim');
    await writeFile(outside, 'original');
    const target = join(work, 'planted');
    await extractCpio(await hostile([{ path: 'f', type: 'symlink', mode: 0o777, target: outside }]), target);
    const second = await hostile([{ path: 'f', type: 'file', mode: 0o644, data: 'new' }]);
    await expect(extractCpio(second, target)).rejects.toMatchObject({
      code: 'ERR_CPIO_TARGET_NOT_EMPTY',
      path: target,
    });
    expect(await readFile(outside, 'utf8')).toBe('original');
    expect(await readlink(join(target, 'f'))).toBe(outside);
    expect(await readdir(work)).not.toContainEqual(expect.stringMatching(/partial/));
  });
});
