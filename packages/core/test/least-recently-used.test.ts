import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { byRecentUse, leastRecentlyUsed } from '../src/index.js';

it('leastRecentlyUsed names what lies beyond the most recently modified, missing paths as oldest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'distroforge-lru-'));
  try {
    const paths = ['a', 'b', 'c'].map((n) => join(dir, n));
    for (const [i, path] of paths.entries()) {
      await writeFile(path, '');
      await utimes(path, 1_000 + i, 1_000 + i);
    }
    const missing = join(dir, 'gone');
    expect(await leastRecentlyUsed([...paths, missing], 2)).toEqual([paths[0], missing]);
    expect(await leastRecentlyUsed(paths, 5)).toEqual([]);
    expect(await leastRecentlyUsed(paths, 0)).toEqual([paths[2], paths[1], paths[0]]);
    expect(await byRecentUse([missing, ...paths])).toEqual([paths[2], paths[1], paths[0], missing]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
