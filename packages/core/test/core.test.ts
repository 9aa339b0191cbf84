import { constants as fsConstants } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  distroforgeCacheRoot,
  fileTypeBits,
  fileTypeOfMode,
  DistroforgeError,
  ToolFailedError,
  ToolMissingError,
  ToolVersionError,
  clearToolCache,
  compareVersions,
  findTool,
  isDistroforgeError,
  knownTools,
  sourceDateEpoch,
  useToolVersionCache,
  writeAtomically,
} from '@distroforge/core';

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
  clearToolCache();
});

async function fakeTool(name: string, script: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'df-core-'));
  await writeFile(join(dir, name), `#!/bin/sh\n${script}\n`);
  await chmod(join(dir, name), 0o755);
  return dir;
}

describe('DistroforgeError', () => {
  it('carries a stable code, path, value, hint and cause', () => {
    const cause = new Error('inner');
    const e = new DistroforgeError('ERR_X', 'bad thing', { hint: 'do Y', path: '/a', value: 3, cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('ERR_X');
    expect(e.cause).toBe(cause);
    expect(e.describe()).toBe('ERR_X: bad thing\n  at: /a\n  hint: do Y');
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ code: 'ERR_X', path: '/a', value: 3 });
    expect(isDistroforgeError(e)).toBe(true);
    expect(isDistroforgeError(new Error('x'))).toBe(false);
  });

  it('formats tool failures with the command line and log tail', () => {
    const e = new ToolFailedError(['mksquashfs', 'a b', '-comp', 'zstd'], 1, 'FATAL ERROR', { path: '/tmp/log' });
    expect(e.code).toBe('ERR_TOOL_FAILED');
    expect(e.message).toContain('mksquashfs "a b" -comp zstd');
    expect(e.message).toContain('FATAL ERROR');
    expect(e.hint).toBe('full log: /tmp/log');
  });
});

describe('findTool', () => {
  it('reports a missing tool with the install command', async () => {
    process.env.PATH = '/nonexistent';
    const error = await findTool({ ...knownTools.mksquashfs, extraDirs: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolMissingError);
    expect((error as ToolMissingError).message).toBe('mksquashfs not found: apt-get install squashfs-tools');
    expect((error as ToolMissingError).code).toBe('ERR_TOOL_MISSING');
  });

  it('finds a tool on PATH and parses its version', async () => {
    const dir = await fakeTool('frobnicate', 'echo "frobnicate version 4.6.1 (2023/03/25)"');
    process.env.PATH = dir;
    const found = await findTool({ names: ['frobnicate'], minVersion: '4.5' });
    expect(found).toEqual({ name: 'frobnicate', path: join(dir, 'frobnicate'), version: '4.6.1' });
  });

  it('rejects a tool older than the minimum version', async () => {
    const dir = await fakeTool('oldtool', 'echo "oldtool 4.4" >&2; exit 1');
    process.env.PATH = dir;
    await expect(
      findTool({ names: ['oldtool'], minVersion: '4.5', install: 'apt-get install oldtool' }),
    ).rejects.toBeInstanceOf(ToolVersionError);
  });

  it('tries alternative names in order', async () => {
    const dir = await fakeTool('mkfs.fat', 'echo "mkfs.fat 4.2 (2021-01-31)"');
    process.env.PATH = dir;
    const found = await findTool({ ...knownTools.mkfsVfat, extraDirs: [] });
    expect(found.name).toBe('mkfs.fat');
    expect(found.version).toBe('4.2');
  });

  it('remembers version outputs in a cache file across processes until the tool changes', async () => {
    const dir = await fakeTool('counted', `echo run >> "\${0%/*}/runs"; echo "counted 1.2.3"`);
    const runs = async () => (await readFile(join(dir, 'runs'), 'utf8')).split('\n').filter(Boolean).length;
    process.env.PATH = dir;
    const cacheFile = join(dir, 'cache', 'tool-versions.json');
    try {
      useToolVersionCache(cacheFile);
      expect((await findTool({ names: ['counted'] })).version).toBe('1.2.3');
      clearToolCache(); // a new process: only the file remains
      useToolVersionCache(cacheFile);
      expect((await findTool({ names: ['counted'] })).version).toBe('1.2.3');
      expect(await runs()).toBe(1);
      // An upgraded tool (another file at the same path) is asked again.
      await writeFile(join(dir, 'counted'), `#!/bin/sh\necho run >> "\${0%/*}/runs"; echo "counted 1.3.0 (new)"\n`);
      clearToolCache();
      expect((await findTool({ names: ['counted'] })).version).toBe('1.3.0');
      expect(await runs()).toBe(2);
      // A corrupt cache is ignored, and no cache means asking every process.
      await writeFile(cacheFile, '{oops');
      clearToolCache();
      useToolVersionCache(cacheFile);
      await findTool({ names: ['counted'] });
      useToolVersionCache(undefined);
      clearToolCache();
      await findTool({ names: ['counted'] });
      expect(await runs()).toBe(4);
    } finally {
      useToolVersionCache(undefined);
    }
  });

  it('finds a real tool of this machine', async () => {
    const found = await findTool(knownTools.xz);
    expect(found.path).toMatch(/\/xz$/);
    expect(compareVersions(found.version, '5.0')).toBeGreaterThanOrEqual(0);
  });
});

describe('compareVersions', () => {
  it.each([
    ['4.5', '4.6', -1],
    ['4.6.1', '4.6', 1],
    ['10.0', '9.9', 1],
    ['2.0', '2.0.0', 0],
  ])('%s vs %s', (a, b, want) => expect(compareVersions(a, b)).toBe(want));
});

describe('sourceDateEpoch', () => {
  it('reads, validates and falls back', () => {
    expect(sourceDateEpoch(undefined, { SOURCE_DATE_EPOCH: '1700000000' })).toBe(1700000000);
    expect(sourceDateEpoch(5, {})).toBe(5);
    expect(sourceDateEpoch(undefined, {})).toBeUndefined();
    expect(sourceDateEpoch(0, { SOURCE_DATE_EPOCH: '0' })).toBe(0);
    expect(() => sourceDateEpoch(undefined, { SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(
      /ERR_SOURCE_DATE_EPOCH|not a non-negative/,
    );
  });
});

describe('writeAtomically', () => {
  it('renames into place only on success and cleans up on failure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-atomic-'));
    const target = join(dir, 'out.bin');
    await writeAtomically(target, (tmp) => writeFile(tmp, 'ok'));
    expect(await readFile(target, 'utf8')).toBe('ok');

    await expect(
      writeAtomically(join(dir, 'tree'), async (tmp) => {
        await mkdir(tmp);
        await writeFile(join(tmp, 'half'), 'x');
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    expect((await readdir(dir)).sort()).toEqual(['out.bin']);
  });
});

describe('fileTypeBits', () => {
  it('holds the S_IFMT bits of every manifest type, and fileTypeOfMode reads them back from a full mode', () => {
    // The oracle is the platform's own S_IF* constants, as Node exposes them.
    const c = fsConstants;
    expect(fileTypeBits).toEqual({
      fifo: c.S_IFIFO,
      char: c.S_IFCHR,
      dir: c.S_IFDIR,
      block: c.S_IFBLK,
      file: c.S_IFREG,
      symlink: c.S_IFLNK,
      socket: c.S_IFSOCK,
    });
    for (const bits of Object.values(fileTypeBits)) expect(bits & ~c.S_IFMT).toBe(0);
    for (const [type, bits] of Object.entries(fileTypeBits)) expect(fileTypeOfMode(bits | 0o4755)).toBe(type);
    expect(fileTypeOfMode(0o644)).toBeUndefined();
    expect(fileTypeOfMode(0o170000)).toBeUndefined();
  });
});

describe('distroforgeCacheRoot', () => {
  it('is $XDG_CACHE_HOME/distroforge, else ~/.cache/distroforge', () => {
    expect(distroforgeCacheRoot({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/distroforge');
    expect(distroforgeCacheRoot({ XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'distroforge'));
    expect(distroforgeCacheRoot({})).toBe(join(homedir(), '.cache', 'distroforge'));
  });
});
