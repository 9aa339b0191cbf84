import { clearToolCache, emptyManifest, mergeManifest, ToolFailedError, ToolMissingError } from '@distroforge/core';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSquashfs,
  extractSquashfs,
  listSquashfs,
  squashfsInfo,
  InvalidOptionsError,
  ManifestMismatchError,
  ManifestPathMissingError,
  SquashfsFeatureError,
} from '@distroforge/squashfs-wrap';

let work: string;
let root: string;
const savedPath = process.env.PATH;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'squashfs-wrap-err-'));
  root = join(work, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/hostname'), 'forge\n');
});

afterAll(() => rm(work, { recursive: true, force: true }));

afterEach(() => {
  process.env.PATH = savedPath;
  clearToolCache();
});

const base = () => ({ source: root, sourceDateEpoch: 1 });

describe('tool errors', () => {
  it('a missing mksquashfs is a ToolMissingError with the install command', async () => {
    const empty = join(work, 'empty-bin');
    await mkdir(empty, { recursive: true });
    process.env.PATH = empty;
    clearToolCache();
    // findTool also looks in /usr/sbin and /sbin; mksquashfs lives in /usr/bin on Debian.
    const error = await createSquashfs({ ...base(), output: join(work, 'missing.sqfs') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolMissingError);
    expect(error).toMatchObject({
      code: 'ERR_TOOL_MISSING',
      hint: expect.stringContaining('apt-get install squashfs-tools'),
    });
  });

  it('a failing mksquashfs run is a ToolFailedError with the log path and tail, and leaves no output', async () => {
    const output = join(work, 'failed.sqfs');
    const logFile = join(work, 'failed.log');
    // mksquashfs rejects majors above 4095 (12 bits) itself instead of truncating them.
    const manifest = mergeManifest(emptyManifest(), [{ path: '/dev/huge', type: 'char', major: 5000, minor: 1 }]);
    const error = await createSquashfs({ ...base(), output, logFile, manifest }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolFailedError);
    const failed = error as ToolFailedError;
    expect(failed.code).toBe('ERR_TOOL_FAILED');
    expect(failed.path).toBe(logFile);
    expect(failed.exitCode).toBe(1);
    expect(failed.logTail).toContain('Major 5000 out of range');
    expect(await readFile(logFile, 'utf8')).toContain('Major 5000 out of range');
    expect((await readdir(work)).filter((f) => f.includes('failed.sqfs'))).toEqual([]);
  });

  it('a tool that writes part of the image then dies leaves nothing that looks complete', async () => {
    // A fake mksquashfs exercises the error path after output was written (real failures stop earlier).
    const fakeBin = join(work, 'fake-bin');
    await mkdir(fakeBin, { recursive: true });
    await writeFile(
      join(fakeBin, 'mksquashfs'),
      '#!/bin/sh\nif [ "$1" = -version ]; then echo "mksquashfs version 4.5.1"; exit 0; fi\necho partial > "$2"\necho "[=====     ] 5/10  50%"\necho "FATAL ERROR: disk on fire" >&2\nexit 1\n',
    );
    await chmod(join(fakeBin, 'mksquashfs'), 0o755);
    process.env.PATH = `${fakeBin}:${savedPath}`;
    clearToolCache();
    const output = join(work, 'partial.sqfs');
    const events: number[] = [];
    const error = await createSquashfs({ ...base(), output, onProgress: (e) => events.push(e.percent) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as ToolFailedError).logTail).toContain('FATAL ERROR: disk on fire');
    expect((error as ToolFailedError).hint).toBe(`full log: ${output}.log`);
    expect(events).toEqual([50]);
    expect((await readdir(work)).filter((f) => f.includes('partial.sqfs') && !f.endsWith('.log'))).toEqual([]);
  });
});

describe('reading something that is not a squashfs image', () => {
  it('listSquashfs, squashfsInfo and extractSquashfs fail with ToolFailedError naming the image', async () => {
    const bogus = join(work, 'bogus.sqfs');
    await writeFile(bogus, Buffer.alloc(8192, 0x41));
    for (const run of [() => listSquashfs(bogus), () => squashfsInfo(bogus)]) {
      const error = await run().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ToolFailedError);
      expect(error).toMatchObject({
        code: 'ERR_TOOL_FAILED',
        path: bogus,
        logTail: expect.stringMatching(/superblock/i),
      });
    }
    const target = join(work, 'bogus-extracted');
    const error = await extractSquashfs(bogus, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolFailedError);
    await expect(readdir(target)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('option and manifest errors', () => {
  it.each([
    [{ compression: { algorithm: 'zstd', level: 23 } }, 'compression.level'],
    [{ compression: { algorithm: 'xz', level: 6 } }, 'compression.level'],
    [{ compression: { algorithm: 'brotli' } }, 'compression.algorithm'],
    [{ blockSize: 100_000 }, 'blockSize'],
    [{ blockSize: 2 << 20 }, 'blockSize'],
    [{ processors: 0 }, 'processors'],
    [{ preset: 'fast' }, 'preset'],
    [{ sourceDateEpoch: -1 }, 'sourceDateEpoch'],
    [{ bogus: true }, ''],
  ])('%j is an InvalidOptionsError naming %s', async (extra, key) => {
    const error = await createSquashfs({ ...base(), output: join(work, 'x.sqfs'), ...extra } as never).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTIONS', value: key });
  });

  it('names every invalid option at once', async () => {
    const error = await createSquashfs({
      ...base(),
      output: join(work, 'x.sqfs'),
      blockSize: 100_000,
      processors: 0,
      bogus: true,
    } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).issues.map((issue) => issue.key).sort()).toEqual([
      '',
      'blockSize',
      'processors',
    ]);
    expect((error as InvalidOptionsError).message).toMatch(/^3 invalid createSquashfs options:\n {2}/);
  });

  it('a manifest file that is not on disk and has no creatable type is ERR_MANIFEST_PATH_MISSING', async () => {
    const manifest = mergeManifest(emptyManifest(), [{ path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 }]);
    const error = await createSquashfs({ ...base(), output: join(work, 'x.sqfs'), manifest }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestPathMissingError);
    expect(error).toMatchObject({ code: 'ERR_MANIFEST_PATH_MISSING', value: '/etc/shadow' });
  });

  it('a manifest type that disagrees with the disk is ERR_MANIFEST_MISMATCH', async () => {
    const manifest = mergeManifest(emptyManifest(), [{ path: '/etc/hostname', type: 'char', major: 1, minor: 3 }]);
    const error = await createSquashfs({ ...base(), output: join(work, 'x.sqfs'), manifest }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestMismatchError);
    expect(error).toMatchObject({ code: 'ERR_MANIFEST_MISMATCH', value: '/etc/hostname' });
  });

  it('file capabilities on squashfs-tools 4.5 are ERR_SQUASHFS_FEATURE naming 4.6', async () => {
    const manifest = mergeManifest(emptyManifest(), [{ path: '/etc/hostname', caps: 'cap_net_raw=ep' }]);
    const error = await createSquashfs({ ...base(), output: join(work, 'x.sqfs'), manifest }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SquashfsFeatureError);
    expect(error).toMatchObject({
      code: 'ERR_SQUASHFS_FEATURE',
      message: expect.stringContaining('4.6 or newer, found 4.5'),
    });
  });

  it("unsupportedCaps: 'drop' builds without the caps and reports the paths", async () => {
    const manifest = mergeManifest(emptyManifest(), [{ path: '/etc/hostname', caps: 'cap_net_raw=ep', mode: 0o600 }]);
    const output = join(work, 'dropped.sqfs');
    const result = await createSquashfs({ ...base(), output, manifest, unsupportedCaps: 'drop' });
    expect(result.droppedCaps).toEqual(['/etc/hostname']);
    expect(result.args).toContain('-no-xattrs');
    expect((await listSquashfs(output)).find((e) => e.path === '/etc/hostname')).toMatchObject({ mode: 0o600 });
    await rm(output);
    await rm(`${output}.log`);
  });

  it('an output directory that does not exist is ERR_LOG_FILE before anything runs', async () => {
    const error = await createSquashfs({ ...base(), output: join(work, 'no/such/dir/x.sqfs') }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_LOG_FILE', path: join(work, 'no/such/dir/x.sqfs.log') });
  });

  it('a source that is not a directory is ERR_SOURCE_NOT_DIRECTORY', async () => {
    const error = await createSquashfs({ source: join(work, 'nope'), output: join(work, 'x.sqfs') }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_SOURCE_NOT_DIRECTORY', path: join(work, 'nope') });
  });
});
