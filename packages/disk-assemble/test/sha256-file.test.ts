import { execa } from 'execa';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../src/sha256-file.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-sha256-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha256sum = async (path: string) => (await execa('sha256sum', [path])).stdout.split(' ')[0];

describe('sha256File', () => {
  it('equals sha256sum on a sparse file whose data, holes and tail do not line up with its reads', async () => {
    const path = join(work, 'sparse.img');
    const handle = await open(path, 'w');
    await handle.write(Buffer.alloc(5000, 0x5a), 0, 5000, 3 * 1024 * 1024 + 17);
    await handle.write(Buffer.from('tail'), 0, 4, 9 * 1024 * 1024 + 3);
    await handle.close();
    expect(await sha256File(path)).toBe(await sha256sum(path));
  });

  it('hashes an empty file', async () => {
    const path = join(work, 'empty');
    await writeFile(path, '');
    expect(await sha256File(path)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
