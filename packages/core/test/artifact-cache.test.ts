import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedArtifact, directoryStamp, fileStamp } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distroforge-artifact-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cachedArtifact', () => {
  it('builds once per key and copies the cached file (with its result) afterwards', async () => {
    const cache = join(dir, 'cache1');
    let builds = 0;
    const make = (key: unknown, content: string, output: string) =>
      cachedArtifact(cache, 'thing', key, output, async () => {
        builds++;
        await writeFile(output, content);
        return { size: content.length };
      });
    expect(await make({ a: 1 }, 'first', join(dir, 'out1'))).toEqual({ result: { size: 5 }, cached: false });
    // Same key: the cached bytes, not what this build would have written, and no build.
    expect(await make({ a: 1 }, 'other', join(dir, 'out2'))).toEqual({ result: { size: 5 }, cached: true });
    expect(await readFile(join(dir, 'out2'), 'utf8')).toBe('first');
    expect(builds).toBe(1);
    expect(await make({ a: 2 }, 'second', join(dir, 'out3'))).toEqual({ result: { size: 6 }, cached: false });
    expect(builds).toBe(2);
    // The cached copy is a separate file: changing an output never changes the cache.
    await writeFile(join(dir, 'out2'), 'scribbled');
    await make({ a: 1 }, 'x', join(dir, 'out4'));
    expect(await readFile(join(dir, 'out4'), 'utf8')).toBe('first');
  });

  it('rebuilds when an entry is incomplete, and only builds without a cache directory', async () => {
    const cache = join(dir, 'cache2');
    let builds = 0;
    const build = (output: string) => async () => {
      builds++;
      await writeFile(output, 'bytes');
      return 1;
    };
    await cachedArtifact(cache, 'k', 'key', join(dir, 'o1'), build(join(dir, 'o1')));
    const [meta] = (await readdir(cache)).filter((n) => n.endsWith('.json'));
    await rm(join(cache, meta!.slice(0, -5)));
    expect((await cachedArtifact(cache, 'k', 'key', join(dir, 'o2'), build(join(dir, 'o2')))).cached).toBe(false);
    await writeFile(join(cache, meta!), '{not json');
    expect((await cachedArtifact(cache, 'k', 'key', join(dir, 'o3'), build(join(dir, 'o3')))).cached).toBe(false);
    expect((await cachedArtifact(undefined, 'k', 'key', join(dir, 'o4'), build(join(dir, 'o4')))).cached).toBe(false);
    expect(builds).toBe(4);
  });

  it('caches builds that return nothing', async () => {
    const cache = join(dir, 'cache4');
    const output = join(dir, 'v');
    expect(await cachedArtifact(cache, 'void', 1, output, () => writeFile(output, 'v'))).toEqual({
      result: undefined,
      cached: false,
    });
    expect(await cachedArtifact(cache, 'void', 1, output, () => writeFile(output, 'w'))).toEqual({
      result: undefined,
      cached: true,
    });
    expect(await readFile(output, 'utf8')).toBe('v');
  });

  it('keeps the eight most recently used entries of a kind', async () => {
    const cache = join(dir, 'cache3');
    for (let i = 0; i < 11; i++) {
      const output = join(dir, `p${i}`);
      await cachedArtifact(cache, 'many', i, output, () => writeFile(output, String(i)));
      await new Promise((r) => setTimeout(r, 5));
    }
    await cachedArtifact(cache, 'other', 0, join(dir, 'q'), () => writeFile(join(dir, 'q'), 'q'));
    const names = await readdir(cache);
    expect(names.filter((n) => n.startsWith('many-') && n.endsWith('.json'))).toHaveLength(8);
    expect(names.filter((n) => n.startsWith('many-') && !n.endsWith('.json'))).toHaveLength(8);
    expect(names.filter((n) => n.startsWith('other-'))).toHaveLength(2);
  });
});

describe('fileStamp / directoryStamp', () => {
  it('change when a file is replaced', async () => {
    const sub = await mkdtemp(join(dir, 'stamp-'));
    await writeFile(join(sub, 'b'), '1');
    await writeFile(join(sub, 'a'), '1');
    const before = await directoryStamp(sub);
    expect(before.map((s) => s.split(':')[0])).toEqual([join(sub, 'a'), join(sub, 'b')]);
    const stamp = await fileStamp(join(sub, 'a'));
    await rm(join(sub, 'a'));
    await writeFile(join(sub, 'a'), '22');
    expect(await fileStamp(join(sub, 'a'))).not.toBe(stamp);
    expect(await directoryStamp(sub)).not.toEqual(before);
  });
});
