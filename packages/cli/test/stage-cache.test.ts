import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { hashTree, Reporter, StageCache } from '@distroforge/cli';

function quietReporter(): Reporter {
  return new Reporter({ quiet: true, out: new PassThrough() });
}

describe('StageCache', () => {
  it('runs a stage once per key and reuses its output', async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-cache-'));
    const cache = new StageCache(state, quietReporter());
    let runs = 0;
    const stage = (inputs: unknown) => ({
      name: 'overlay',
      inputs,
      upstream: ['abc'],
      run: async (dir: string) => {
        runs++;
        await writeFile(join(dir, 'out.txt'), JSON.stringify(inputs));
        return { size: 1 };
      },
    });
    const first = await cache.run(stage({ a: 1 }));
    const second = await cache.run(stage({ a: 1 }));
    expect(runs).toBe(1);
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.dir).toBe(first.dir);
    expect(second.result).toEqual({ size: 1 });
    expect(await readFile(join(second.dir, 'out.txt'), 'utf8')).toBe('{"a":1}');
    const third = await cache.run(stage({ a: 2 }));
    expect(third.cached).toBe(false);
    expect(third.key).not.toBe(first.key);
    expect(runs).toBe(2);
  });

  it('builds a stage again when one of its output files was written to after it completed', async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-cache-'));
    const said: string[] = [];
    const reporter = quietReporter();
    reporter.say = (text: string) => void said.push(text);
    const cache = new StageCache(state, reporter);
    let runs = 0;
    const stage = {
      name: 'disk',
      inputs: {},
      upstream: [],
      run: async (dir: string) => {
        runs++;
        await writeFile(join(dir, 'disk.img'), 'pristine');
        return {};
      },
    };
    const first = await cache.run(stage);
    // A digest beside the output, written later, does not count as a change of the output.
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(first.dir, 'disk.img.sha256'), 'x\n');
    expect((await cache.run(stage)).cached).toBe(true);
    // The output (published as a hard link) booted writable: the next build makes it again.
    await writeFile(join(first.dir, 'disk.img'), 'written by a guest');
    const again = await cache.run(stage);
    expect(again.cached).toBe(false);
    expect(runs).toBe(2);
    expect(await readFile(join(again.dir, 'disk.img'), 'utf8')).toBe('pristine');
    expect(said.join('\n')).toMatch(/disk\.img was modified after the disk stage built it/);
    expect((await cache.run(stage)).cached).toBe(true);
  });

  it('runs a stage again when its toolchain (code or tool versions) changes, and records it', async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-cache-'));
    let squashfsTools = '1:4.5.1-1';
    const cache = new StageCache(state, quietReporter(), {
      toolchain: async (name): Promise<Record<string, string>> =>
        name === 'image' ? { 'deb:squashfs-tools': squashfsTools } : {},
    });
    let runs = 0;
    const stage = (name: string) => ({ name, inputs: {}, upstream: [], run: async () => ({ runs: ++runs }) });
    const first = await cache.run(stage('image'));
    expect((await cache.run(stage('image'))).cached).toBe(true);
    await cache.run(stage('overlay'));
    squashfsTools = '1:4.6.1-1';
    const upgraded = await cache.run(stage('image'));
    expect(upgraded.cached).toBe(false);
    expect(upgraded.key).not.toBe(first.key);
    expect((await cache.run(stage('overlay'))).cached).toBe(true);
    const recorded = JSON.parse(await readFile(join(upgraded.dir, '.inputs.json'), 'utf8')) as {
      toolchain: Record<string, string>;
    };
    expect(recorded.toolchain).toEqual({ 'deb:squashfs-tools': '1:4.6.1-1' });
  });

  it('leaves nothing that looks complete when a stage fails', async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-cache-'));
    const cache = new StageCache(state, quietReporter());
    await expect(
      cache.run({
        name: 'squashfs',
        inputs: {},
        upstream: [],
        run: async (dir) => {
          await writeFile(join(dir, 'half.img'), 'x');
          throw new Error('mksquashfs died');
        },
      }),
    ).rejects.toThrow('mksquashfs died');
    expect(await readdir(join(state, 'stages', 'squashfs'))).toEqual([]);
  });

  it('keys depend on upstream keys and prunes old outputs', async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-cache-'));
    const cache = new StageCache(state, quietReporter(), { keep: 2 });
    expect(StageCache.key('x', { a: 1 }, ['u1'])).not.toBe(StageCache.key('x', { a: 1 }, ['u2']));
    for (let i = 0; i < 4; i++) {
      await cache.run({ name: 'iso', inputs: { i }, upstream: [], run: async () => i });
      await new Promise((r) => setTimeout(r, 5));
    }
    expect((await readdir(join(state, 'stages', 'iso'))).filter((n) => !n.startsWith('.'))).toHaveLength(2);
    await cache.settle();
    expect(await readdir(join(state, 'stages', 'iso'))).toHaveLength(2);
  });

  it('deletes pruned outputs in the background, and what an interrupted deletion left behind', async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-cache-'));
    const cache = new StageCache(state, quietReporter(), { keep: 1 });
    const tree = async (dir: string) => {
      for (let d = 0; d < 20; d++) {
        await mkdir(join(dir, 'tree', `d${d}`), { recursive: true });
        await Promise.all(Array.from({ length: 50 }, (_, f) => writeFile(join(dir, 'tree', `d${d}`, `f${f}`), 'x')));
      }
      return 0;
    };
    const first = await cache.run({ name: 'overlay', inputs: 1, upstream: [], run: tree });
    // A deletion an earlier build did not finish (killed while deleting).
    await mkdir(join(state, 'stages', 'overlay', '.stale-0123abcd-999999', 'tree'), { recursive: true });
    await new Promise((r) => setTimeout(r, 5));
    const second = await cache.run({ name: 'overlay', inputs: 2, upstream: [], run: tree });
    // The old output is out of the cache at once; it may still be being deleted.
    expect(existsSync(first.dir)).toBe(false);
    expect((await readdir(join(state, 'stages', 'overlay'))).filter((n) => !n.startsWith('.'))).toEqual([second.key]);
    await cache.settle();
    expect(await readdir(join(state, 'stages', 'overlay'))).toEqual([second.key]);
    expect(await readdir(join(second.dir, 'tree'))).toHaveLength(20);
  });
});

describe('hashTree', () => {
  it('changes with content, names, modes and links but not mtimes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-hash-'));
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc', 'motd'), 'hi\n');
    await symlink('motd', join(dir, 'etc', 'issue'));
    const a = await hashTree(dir);
    const { utimes, chmod } = await import('node:fs/promises');
    await utimes(join(dir, 'etc', 'motd'), 1, 1);
    expect(await hashTree(dir)).toBe(a);
    await chmod(join(dir, 'etc', 'motd'), 0o600);
    const b = await hashTree(dir);
    expect(b).not.toBe(a);
    await writeFile(join(dir, 'etc', 'motd'), 'ho\n');
    expect(await hashTree(dir)).not.toBe(b);
    expect(existsSync(dir)).toBe(true);
  });

  it("with --verbose streams the lines the stage's tools write to its log files, and nothing without it", async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-cache-'));
    const run = async (verbose: boolean, name: string) => {
      const out = new PassThrough();
      const chunks: string[] = [];
      out.on('data', (c: Buffer) => chunks.push(c.toString()));
      const cache = new StageCache(state, new Reporter({ verbose, out, isTTY: false }));
      const seenDuringRun: string[] = [];
      await cache.run({
        name,
        inputs: {},
        upstream: [],
        run: async (dir) => {
          const log = join(dir, 'tool.log');
          await writeFile(log, 'first line\nsecond ');
          // The first line shows while the stage still runs; the split line is joined.
          await new Promise((resolve) => setTimeout(resolve, 600));
          seenDuringRun.push(chunks.join(''));
          await appendFile(log, 'half\nünïcode\nno newline at the end');
          await writeFile(join(dir, 'other.log'), 'from another tool\n');
          await writeFile(join(dir, 'output.txt'), 'not a log\n');
          return {};
        },
      });
      return { printed: chunks.join(''), seenDuringRun: seenDuringRun[0] ?? '' };
    };
    const verbose = await run(true, 'image');
    expect(verbose.seenDuringRun).toContain('[image] first line\n');
    const logLines = verbose.printed.split('\n').filter((l) => l.startsWith('[image]'));
    // In order within each file (files are read one after the other).
    expect(logLines.filter((l) => l !== '[image] from another tool')).toEqual([
      '[image] first line',
      '[image] second half',
      '[image] ünïcode',
      '[image] no newline at the end',
    ]);
    expect(logLines).toContain('[image] from another tool');
    expect(logLines.join('\n')).not.toContain('not a log');
    const quiet = await run(false, 'layer');
    expect(quiet.printed).not.toContain('[layer]');
  });
});
