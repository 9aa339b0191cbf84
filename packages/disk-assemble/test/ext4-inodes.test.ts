import { execa } from 'execa';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExt4Image } from '../src/ext4-image.js';
import { normaliseTreeInodes } from '../src/ext4-inodes.js';

const epoch = 1_700_000_000;
let work: string;
let image: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-ext4-inodes-'));
  await mkdir(join(work, 'tree/etc'), { recursive: true });
  await writeFile(join(work, 'tree/etc/hostname'), 'box\n');
  image = join(work, 'a.ext4');
  await buildExt4Image({
    directory: join(work, 'tree'),
    output: image,
    uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C',
    hashSeed: '6A1D9B0E-1111-4222-8333-444455556666',
    sourceDateEpoch: epoch,
    logFile: join(work, 'log'),
    size: 8 * 1024 * 1024,
  });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const options = { resetOwners: true, sourceDateEpoch: epoch, treeHasLostFound: false };

describe('normaliseTreeInodes', () => {
  it('counts the tree inodes (root, /etc, /etc/hostname) and leaves a normalised image as it is', async () => {
    const before = await execa('sha256sum', [image]);
    expect(await normaliseTreeInodes(image, options)).toBe(3);
    expect((await execa('sha256sum', [image])).stdout).toBe(before.stdout);
  });

  it('refuses a file that is not ext4 with ERR_EXT4_LAYOUT', async () => {
    const junk = join(work, 'junk.img');
    await writeFile(junk, Buffer.alloc(64 * 1024, 7));
    await expect(normaliseTreeInodes(junk, options)).rejects.toMatchObject({ code: 'ERR_EXT4_LAYOUT' });
  });

  it('refuses an inode whose checksum does not verify instead of rewriting it', async () => {
    const broken = join(work, 'broken.ext4');
    await execa('cp', [image, broken]);
    // debugfs imap: "Inode 12 is part of block group 0\n\tlocated at block 37, offset 0x0100"
    const imap = (await execa('debugfs', ['-R', 'imap /etc/hostname', broken])).stdout;
    const [, block, offset] = /located at block (\d+), offset (0x[0-9a-f]+)/.exec(imap) ?? [];
    const handle = await open(broken, 'r+');
    await handle.write(Buffer.from([0x42]), 0, 1, Number(block) * 4096 + Number(offset) + 0x04);
    await handle.close();
    await expect(normaliseTreeInodes(broken, options)).rejects.toThrow(/inode \d+ checksum does not verify/);
  });
});
