import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractRpm, RpmError } from '@distroforge/rpm-extract';
import { Worker } from 'node:worker_threads';
import { placeholderFlags, threadedWriter, workerSource, writeFlags } from '../src/small-file-writer.js';
import { buildFixtures } from './build-rpm.js';

// Packages with many regular files may be written by worker threads (with placeholders created
// ahead of the contents): chosen by measuring unless `writerThreads` says; both paths are forced here.
const fileCount = 300;

/** 300 small files in 12 directories, a hard-link pair, symlinks, modes; `aln` points outside. */
const manySpec = (outsideDir: string) => `
Name: df-many
Version: 1
Release: 1
Summary: many-files fixture
License: MIT
BuildArch: noarch
%description
Fixture.
%install
for i in $(seq 1 ${fileCount}); do
  d=%{buildroot}/opt/m/d$((i % 12))
  mkdir -p $d
  head -c $((i * 37 % 5000)) /dev/urandom > $d/f$i
done
chmod 0751 %{buildroot}/opt/m/d3/f3
printf 'linked\\n' > %{buildroot}/opt/m/d1/hl-a
ln %{buildroot}/opt/m/d1/hl-a %{buildroot}/opt/m/d2/hl-b
ln -s d1/f1 %{buildroot}/opt/m/rel-link
mkdir -p %{buildroot}/opt/m/zdr
printf 'pwned\\n' > %{buildroot}/opt/m/zdr/pwned
ln -s ${outsideDir} %{buildroot}/opt/m/aln
%files
/opt/m
`;

let work: string;
let outside: string;
let pkg: Buffer;
let pkgPath: string;

/** Every path under `dir`, relative, sorted. */
async function walk(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-extract-many-'));
  outside = join(work, 'outside');
  await mkdir(outside);
  pkgPath = (await buildFixtures(join(work, 'top'), ['identity'], manySpec(outside))).identity!;
  pkg = readFileSync(pkgPath);
}, 300_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a package of many files', () => {
  it.each([0, 2, undefined])(
    'extracts the same tree as rpm2cpio | cpio -idm with writerThreads %s: contents, modes, mtimes, hard links',
    async (writerThreads) => {
      const ours = join(work, `ours-${String(writerThreads)}`);
      const result = await extractRpm(pkgPath, ours, { writerThreads });
      expect(result.filesWritten).toBeGreaterThan(fileCount);
      const theirs = join(work, `theirs-${String(writerThreads)}`);
      await mkdir(theirs);
      await execa('sh', ['-c', 'rpm2cpio "$1" | cpio -idm --quiet', 'sh', pkgPath], { cwd: theirs, timeout: 60_000 });
      const paths = await walk(theirs);
      expect(await walk(ours)).toEqual(paths);
      for (const path of paths) {
        const a = lstatSync(join(ours, path));
        const b = lstatSync(join(theirs, path));
        expect(a.mode, path).toBe(b.mode);
        if (a.isFile()) {
          expect(a.mtimeMs, path).toBe(b.mtimeMs);
          expect(readFileSync(join(ours, path)).equals(readFileSync(join(theirs, path))), path).toBe(true);
        }
        if (a.isSymbolicLink()) expect(readlinkSync(join(ours, path))).toBe(readlinkSync(join(theirs, path)));
      }
      expect(statSync(join(ours, 'opt/m/d3/f3')).mode & 0o7777).toBe(0o751);
      expect(statSync(join(ours, 'opt/m/d2/hl-b')).ino).toBe(statSync(join(ours, 'opt/m/d1/hl-a')).ino);
    },
  );

  it('refuses a file below a symlink the package created, writes nothing outside, keeps nothing', async () => {
    const patched = Buffer.from(pkg);
    // Move the file of directory `zdr` below `aln` (same length), the symlink to outside.
    for (let at = patched.indexOf('m/zdr/'); at >= 0; at = patched.indexOf('m/zdr/', at + 1))
      patched.write('m/aln/', at, 'latin1');
    const target = join(work, 'evil');
    const error = await extractRpm(patched, target, { verify: false, writerThreads: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpmError);
    expect((error as RpmError).code).toBe('ERR_RPM_UNSAFE_PATH');
    expect(await readdir(outside)).toEqual([]);
    expect(existsSync(target)).toBe(false);
  });

  it('fails on a corrupt file with its name and leaves no tree behind', async () => {
    const patched = Buffer.from(pkg);
    const at = patched.indexOf('linked\n');
    patched[at] = 'L'.charCodeAt(0);
    const target = join(work, 'corrupt');
    const error = await extractRpm(patched, target, { writerThreads: 2 }).catch((e: unknown) => e);
    expect((error as RpmError).code).toBe('ERR_RPM_DIGEST_MISMATCH');
    expect((error as RpmError).message).toMatch(/^\/opt\/m\/d\d+\/hl-[ab]: contents digest/);
    expect(existsSync(target)).toBe(false);
    expect((await readdir(work)).filter((n) => n.startsWith('.corrupt'))).toEqual([]);
  });
});

describe('threaded small-file writer', () => {
  it('has a thread body that also runs as a module (as in a parent started with --input-type=module)', async () => {
    const dir = join(work, 'esm-body');
    await mkdir(dir);
    const worker = new Worker(workerSource, {
      eval: true,
      execArgv: ['--input-type=module'],
      workerData: { writeFlags, placeholderFlags },
    });
    try {
      const data = new ArrayBuffer(3);
      Buffer.from(data).write('esm');
      const reply = new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage(
        { id: 7, files: [{ abs: join(dir, 'f'), offset: 0, size: 3, mode: 0o600, mtime: undefined }], data },
        [data],
      );
      expect(await reply).toEqual({ id: 7 });
    } finally {
      await worker.terminate();
    }
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('esm');
  });

  it('reports a failed write as ERR_RPM_WRITE naming the package path, and never follows a symlink at the path', async () => {
    const dir = join(work, 'writer');
    await mkdir(dir);
    await writeFile(join(dir, 'victim'), 'untouched');
    symlinkSync(join(dir, 'victim'), join(dir, 'link'));
    const writer = threadedWriter(2);
    try {
      const file = (name: string, path: string) => ({
        abs: join(dir, name),
        path,
        chunks: [Buffer.from('data')],
        size: 4,
        mode: 0o644,
        mtime: 1_700_000_000,
      });
      await writer.write(file('ok', '/ok'));
      await writer.write(file('link', '/link'));
      const error = await writer.drain().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RpmError);
      expect((error as RpmError).code).toBe('ERR_RPM_WRITE');
      expect((error as RpmError).path).toBe('/link');
    } finally {
      await writer.close();
    }
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('untouched');
    expect(readFileSync(join(dir, 'ok'), 'utf8')).toBe('data');
    expect(statSync(join(dir, 'ok')).mtimeMs).toBe(1_700_000_000_000);
  });
});
