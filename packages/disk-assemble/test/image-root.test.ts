// The read-only root layout: a squashfs image as the root partition and an ext4 data partition for
// the overlay's upper layer. Nothing is booted here: the CLI boots this layout with the live init
// (packages/cli/test/live-disk-boots.test.ts with an EROFS root, e2e/rocky-live with squashfs).
import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assembleDisk,
  inspectDisk,
  partitionTypes,
  type AssembleDiskOptions,
  type AssembledDisk,
} from '@distroforge/disk-assemble';
import { extract } from './extract-partition.js';
import { epoch } from './fixtures.js';

const MiB = 1024 * 1024;
let work: string;
let base: AssembleDiskOptions;
let disk: AssembledDisk;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-image-root-'));
  const tree = join(work, 'tree');
  await mkdir(join(tree, 'etc'), { recursive: true });
  await writeFile(join(tree, 'etc/hostname'), 'ro-root\n');
  await writeFile(join(tree, 'big'), Buffer.alloc(3 * MiB, 9));
  await execa('mksquashfs', [
    tree,
    join(work, 'root.squashfs'),
    '-noappend',
    '-quiet',
    '-no-progress',
    '-mkfs-time',
    String(epoch),
    '-all-time',
    String(epoch),
  ]);
  await writeFile(join(work, 'vmlinuz'), Buffer.alloc(2 * MiB, 1));
  await writeFile(join(work, 'initrd.img'), Buffer.alloc(MiB, 2));
  base = {
    output: join(work, 'disk.img'),
    root: { image: join(work, 'root.squashfs'), data: { size: 16 * MiB } },
    kernel: join(work, 'vmlinuz'),
    initrd: join(work, 'initrd.img'),
    kernelArgs: 'console=ttyS0 live.root=disk',
    extraPartitions: [{ name: 'swap', type: 'swap', size: 4 * MiB }],
    sourceDateEpoch: epoch,
  };
  disk = await assembleDisk(base);
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('assembleDisk with a read-only image root', () => {
  it('writes the squashfs as the root partition, then a data partition, and gives the kernel the root, its type and the persistence partition for an overlay', async () => {
    await execa('sfdisk', ['--verify', disk.path]);
    await execa('sgdisk', ['-v', disk.path]);
    const inspected = await inspectDisk(disk.path);
    expect(inspected.partitions.map((p) => [p.name, p.typeName, p.filesystem?.type, p.filesystem?.label])).toEqual([
      ['BIOS boot', 'bios-boot', undefined, undefined],
      ['ESP', 'esp', 'vfat', 'ESP'],
      ['swap', 'swap', 'swap', undefined],
      ['root', 'root-x86-64', 'squashfs', undefined],
      ['data', 'linux-data', 'ext4', 'data'],
    ]);
    expect(inspected.partitions[4]?.type).toBe(partitionTypes['linux-data']);
    expect(disk.root).toMatchObject({ filesystem: 'squashfs', fsUuid: undefined });
    expect(disk.data?.partuuid).toBe(inspected.partitions[4]?.guid);
    expect(disk.kernelArgs).toEqual([
      `root=PARTUUID=${disk.root.partuuid.toLowerCase()}`,
      'rootfstype=squashfs',
      'ro',
      'rootwait',
      `live.persistence=PARTUUID=${disk.data!.partuuid.toLowerCase()}`,
      'console=ttyS0',
      'live.root=disk',
    ]);
  });

  it('holds the image byte for byte (unsquashfs reads it) and a clean ext4 data partition with upper/, work/ and the fstab', async () => {
    const [root, data] = [disk.partitions[3]!, disk.partitions[4]!];
    const squashfs = await extract(disk.path, root.start, root.size, join(work, 'root-part.squashfs'));
    const listing = (await execa('unsquashfs', ['-l', '-d', '', squashfs])).stdout
      .split('\n')
      .filter((l) => l.startsWith('/'));
    expect(listing).toEqual(['/big', '/etc', '/etc/hostname']);
    const ext4 = await extract(disk.path, data.start, data.size, join(work, 'data.ext4'));
    await execa('fsck.ext4', ['-fn', ext4]);
    expect(data.size).toBe(16 * MiB);
    const ls = (await execa('debugfs', ['-R', 'ls -l /upper', ext4])).stdout;
    expect(ls).toMatch(/40755 \(2\)\s+0\s+0\s+\d+\s+.*\s+etc\b/);
    expect((await execa('debugfs', ['-R', 'stat /work', ext4])).stdout).toMatch(/Mode:\s+0755/);
    const fstab = (await execa('debugfs', ['-R', 'cat /upper/etc/fstab', ext4])).stdout
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    // No line for / (the initramfs mounts the overlay); the ESP and swap by PARTUUID.
    expect(fstab).toEqual([
      `PARTUUID=${disk.partitions[1]!.guid.toLowerCase()} /boot/efi vfat umask=0077,nofail 0 2`,
      `PARTUUID=${disk.partitions[2]!.guid.toLowerCase()} none swap sw,nofail 0 0`,
    ]);
  });

  it('gives the rest of a sized disk to the data partition and builds byte-identical images', async () => {
    const sized = await assembleDisk({
      ...base,
      output: join(work, 'sized.img'),
      size: 96 * MiB,
      root: { image: join(work, 'root.squashfs') },
    });
    const data = sized.partitions.at(-1)!;
    expect(data.name).toBe('data');
    expect(data.start + data.size).toBe(95 * MiB);
    const again = await assembleDisk({ ...base, output: join(work, 'again.img') });
    expect(again.sha256).toBe(disk.sha256);
  });

  it('takes an EROFS image the same way (rootfstype=erofs)', async () => {
    const erofs = join(work, 'root.erofs');
    await execa('mkfs.erofs', [
      '-T',
      String(epoch),
      '-U',
      '00000000-0000-0000-0000-000000000001',
      erofs,
      join(work, 'tree'),
    ]);
    const built = await assembleDisk({
      ...base,
      output: join(work, 'erofs.img'),
      root: { image: erofs, data: { size: 16 * MiB } },
    });
    expect(built.root.filesystem).toBe('erofs');
    expect(built.kernelArgs).toContain('rootfstype=erofs');
    expect((await inspectDisk(built.path)).partitions.find((p) => p.name === 'root')?.filesystem?.type).toBe('erofs');
  });

  it('refuses an image that is not squashfs or EROFS, a wrong filesystem claim and a data size beside a disk size', async () => {
    const output = join(work, 'bad.img');
    await expect(assembleDisk({ ...base, output, root: { image: join(work, 'vmlinuz') } })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
      value: 'root.image',
      path: join(work, 'vmlinuz'),
    });
    await expect(
      assembleDisk({ ...base, output, root: { image: join(work, 'root.squashfs'), filesystem: 'erofs' } }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS', value: 'root.filesystem' });
    await expect(assembleDisk({ ...base, output, root: { image: join(work, 'missing') } })).rejects.toMatchObject({
      code: 'ERR_INPUT_MISSING',
      path: join(work, 'missing'),
    });
    await expect(assembleDisk({ ...base, output, size: 96 * MiB })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
      value: 'size',
    });
    expect(
      (await readdir(work)).filter(
        (name) => (name.startsWith('bad.img') && !name.endsWith('.log')) || name.includes('.work-'),
      ),
    ).toEqual([]);
  });
});
