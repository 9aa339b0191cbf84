import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileDataRanges, parseFilefrag, sha256File } from '../src/index.js';

const MiB = 1024 * 1024;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distroforge-sha256-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const header = (fsType: string) =>
  `Filesystem type is: ${fsType}\nFile size of /x is 409600 (100 blocks of 4096 bytes)\n ext:     logical_offset:        physical_offset: length:   expected: flags:\n`;

describe('parseFilefrag', () => {
  it('turns extents (delalloc ones too) into merged byte ranges clamped to the size', () => {
    const output = `${header('ef53')}   0:        0..       1:      34816..     34817:      2:             \n   1:        2..       3:          0..         0:      0:             unknown_loc,delalloc\n   2:       10..      99:      40000..     40089:     90:      34818: last,eof\n/x: 3 extents found\n`;
    expect(parseFilefrag(output, 409_000)).toEqual([
      { start: 0, end: 4 * 4096 },
      { start: 10 * 4096, end: 409_000 },
    ]);
  });

  it('trusts only filesystems whose extent map includes unflushed writes, and only output it understands', () => {
    const extent = '   0:        0..       1:      34816..     34817:      2:             last,eof\n';
    expect(parseFilefrag(`${header('58465342')}${extent}`, 8192)).toEqual([{ start: 0, end: 8192 }]);
    expect(parseFilefrag(`${header('9123683e')}${extent}`, 8192)).toEqual([{ start: 0, end: 8192 }]);
    expect(parseFilefrag(`${header('1021994')}${extent}`, 8192)).toBeUndefined(); // tmpfs
    expect(parseFilefrag(`${header('ef53')}   0: garbled\n`, 8192)).toBeUndefined();
    expect(
      parseFilefrag(
        `${header('ef53')}   0:        4..       5:      1..     2:      2:\n   1:        1..       2:      9..     10:      2:\n`,
        99_999,
      ),
    ).toBeUndefined();
    expect(parseFilefrag('FIBMAP: operation not supported\n', 8192)).toBeUndefined();
  });
});

describe('sha256File', () => {
  // sha256sum reads every byte, holes included.
  const reference = async (path: string) => (await execa('sha256sum', [path])).stdout.split(' ')[0];

  it('hashes a small file and an empty one', async () => {
    const path = join(dir, 'small');
    await writeFile(path, 'abc');
    expect(await sha256File(path)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    await writeFile(path, '');
    expect(await sha256File(path)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes a large sparse file written just before, holes as zeros, as a full read does', async () => {
    const path = join(dir, 'sparse.img');
    const handle = await open(path, 'w');
    const pieces = [0, 3 * MiB + 17, 40 * MiB - 5, 90 * MiB + 4096];
    for (const at of pieces) await handle.write(randomBytes(MiB + 333), 0, MiB + 333, at);
    await handle.truncate(130 * MiB + 7);
    await handle.close();
    // Not flushed: the data written into holes is delayed allocation, which the extent map must include.
    const ranges = await fileDataRanges(path, 130 * MiB + 7);
    const fsType = (await execa('stat', ['-f', '-c', '%t', dir])).stdout.trim();
    // On ext4, XFS or Btrfs (the test machine's ext4) the extent map must be used; elsewhere the whole file is read.
    if (['ef53', '58465342', '9123683e'].includes(fsType)) expect(ranges).toBeDefined();
    if (ranges) {
      for (const at of pieces) expect(ranges.some((r) => r.start <= at && r.end >= at + MiB + 333)).toBe(true);
      expect(ranges.reduce((sum, r) => sum + r.end - r.start, 0)).toBeLessThan(20 * MiB);
    }
    expect(await sha256File(path)).toBe(await reference(path));
  });

  it('hashes a file that ends in data and one that is all hole', async () => {
    const tail = join(dir, 'tail.img');
    const handle = await open(tail, 'w');
    await handle.write(Buffer.alloc(4096, 7), 0, 4096, 100 * MiB - 4096);
    await handle.close();
    expect(await sha256File(tail)).toBe(await reference(tail));
    const empty = join(dir, 'hole.img');
    await writeFile(empty, '');
    const h = await open(empty, 'r+');
    await h.truncate(80 * MiB);
    await h.close();
    expect(await sha256File(empty)).toBe(await reference(empty));
  });

  it('hashes many files of 1-9 MiB at once on its threads, each reply going to its own file', async () => {
    const paths = await Promise.all(
      Array.from({ length: 9 }, async (_, k) => {
        const path = join(dir, `many-${k}.bin`);
        await writeFile(path, randomBytes((k + 1) * MiB + k));
        return path;
      }),
    );
    const ours = await Promise.all(paths.map((p) => sha256File(p)));
    expect(ours).toEqual(await Promise.all(paths.map(reference)));
    expect(new Set(ours).size).toBe(paths.length);
  });

  it('works in a process run as `node --input-type=module -e` (whose flags a thread would inherit)', async () => {
    const path = join(dir, 'eval.bin');
    await writeFile(path, randomBytes(2 * MiB));
    const index = new URL('../dist/index.js', import.meta.url).href;
    const { stdout } = await execa(process.execPath, [
      '--input-type=module',
      '-e',
      `const { sha256File } = await import(${JSON.stringify(index)}); console.log(await sha256File(${JSON.stringify(path)}));`,
    ]);
    expect(stdout.trim()).toBe(await reference(path));
  });
});
