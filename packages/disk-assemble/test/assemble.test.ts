import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
import { epoch, kernelFiles, rootManifest } from './fixtures.js';

const MiB = 1024 * 1024;
let work: string;
let base: AssembleDiskOptions;
let disk: AssembledDisk;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-assemble-'));
  const root = join(work, 'root');
  for (const dir of ['etc', 'dev', 'usr/share/doc']) await mkdir(join(root, dir), { recursive: true });
  await writeFile(join(root, 'etc/secret'), 'x');
  await writeFile(join(root, 'usr/share/doc/big'), Buffer.alloc(3 * MiB, 7));
  await writeFile(join(work, 'vmlinuz'), Buffer.alloc(2 * MiB, 1));
  await writeFile(join(work, 'initrd.img'), Buffer.alloc(MiB, 2));
  base = {
    output: join(work, 'disk.img'),
    root: { directory: root, manifest: rootManifest, freeSpace: 8 * MiB },
    kernel: join(work, 'vmlinuz'),
    initrd: join(work, 'initrd.img'),
    kernelArgs: 'console=ttyS0 quiet',
    extraPartitions: [
      { name: 'swap', type: 'swap', size: 4 * MiB, label: 'swap0' },
      { name: 'var', type: 'var', size: 12 * MiB, filesystem: 'ext4', mountPoint: '/var' },
    ],
    sourceDateEpoch: epoch,
  };
  disk = await assembleDisk(base);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('assembleDisk', () => {
  it('writes a GPT that sfdisk and sgdisk verify, with the documented partitions and type GUIDs', async () => {
    expect((await execa('sfdisk', ['--verify', disk.path])).stdout).toMatch(/No errors detected/);
    const sgdisk = (await execa('sgdisk', ['-v', disk.path])).stdout;
    expect(sgdisk).toMatch(/No problems found/);
    expect(sgdisk).not.toMatch(/caution|warning/i);
    const json = JSON.parse((await execa('sfdisk', ['--json', disk.path])).stdout).partitiontable;
    expect(json.partitions.map((p: { name: string; type: string }) => [p.name, p.type])).toEqual([
      ['BIOS boot', partitionTypes['bios-boot']],
      ['ESP', partitionTypes.esp],
      ['swap', partitionTypes.swap],
      ['var', partitionTypes.var],
      ['root', partitionTypes['root-x86-64']],
    ]);
    expect(json.partitions[4].uuid).toBe(disk.root.partuuid);
    expect(disk.kernelArgs).toEqual([
      `root=PARTUUID=${disk.root.partuuid.toLowerCase()}`,
      'rootfstype=ext4',
      'rw',
      'rootwait',
      'console=ttyS0',
      'quiet',
    ]);
    expect(disk.notApplied).toEqual([]);
  });

  it('holds a clean ext4 root with the manifest applied and a clean FAT ESP with GRUB, kernel and initrd', async () => {
    const root = disk.partitions.find((p) => p.name === 'root')!;
    const ext4 = await extract(disk.path, root.start, root.size, join(work, 'root.ext4'));
    await execa('fsck.ext4', ['-fn', ext4]);
    expect((await execa('debugfs', ['-R', 'stat /etc/secret', ext4])).stdout).toMatch(
      /Mode:\s+0600[\s\S]*User:\s+1000\s+Group:\s+1000/,
    );
    expect((await execa('debugfs', ['-R', 'stat /dev/console', ext4])).stdout).toMatch(/character special[\s\S]*05:01/);
    // /etc/fstab (generated: the tree has none) names every partition by the PARTUUID sfdisk reports.
    const uuid = (name: string) => disk.partitions.find((p) => p.name === name)!.guid.toLowerCase();
    const fstab = (await execa('debugfs', ['-R', 'cat /etc/fstab', ext4])).stdout
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    expect(fstab).toEqual([
      `PARTUUID=${uuid('root')} / ext4 rw,errors=remount-ro 0 1`,
      `PARTUUID=${uuid('ESP')} /boot/efi vfat umask=0077,nofail 0 2`,
      `PARTUUID=${uuid('swap')} none swap sw,nofail 0 0`,
      `PARTUUID=${uuid('var')} /var ext4 defaults,nofail 0 2`,
    ]);
    expect((await execa('debugfs', ['-R', 'stat /etc/fstab', ext4])).stdout).toMatch(
      /Mode:\s+0644[\s\S]*User:\s+0\s+Group:\s+0/,
    );
    const espPart = disk.partitions.find((p) => p.name === 'ESP')!;
    const esp = await extract(disk.path, espPart.start, espPart.size, join(work, 'esp.img'));
    await execa('fsck.vfat', ['-n', esp]);
    const listing = (await execa('mdir', ['-i', esp, '-/', '-b', '::/'], { env: { MTOOLS_SKIP_CHECK: '1' } })).stdout
      .split('\n')
      .sort();
    expect(listing).toEqual([
      '::/EFI/',
      '::/EFI/BOOT/',
      '::/EFI/BOOT/BOOTX64.EFI',
      '::/grub/',
      '::/grub/grub.cfg',
      '::/initrd.img',
      '::/vmlinuz',
    ]);
    const cfg = (await execa('mtype', ['-i', esp, '::/grub/grub.cfg'], { env: { MTOOLS_SKIP_CHECK: '1' } })).stdout;
    expect(cfg).toContain(
      `linux /vmlinuz 'root=PARTUUID=${disk.root.partuuid.toLowerCase()}' 'rootfstype=ext4' 'rw' 'rootwait' 'console=ttyS0' 'quiet'`,
    );
  });

  it('formats extra partitions: a swap signature blkid reads, an empty clean ext4 filling its partition', async () => {
    const swap = disk.partitions.find((p) => p.name === 'swap')!;
    const swapImage = await extract(disk.path, swap.start, swap.size, join(work, 'swap.img'));
    const blkid = (await execa('blkid', ['-p', '-o', 'export', swapImage])).stdout;
    expect(blkid).toMatch(/^TYPE=swap$/m);
    expect(blkid).toMatch(/^LABEL=swap0$/m);
    expect(blkid).toMatch(/^VERSION=1$/m);
    const uuid = /^UUID=(.*)$/m.exec(blkid)?.[1];
    expect((await inspectDisk(disk.path)).partitions[2]?.filesystem).toEqual({ type: 'swap', uuid, label: 'swap0' });
    expect((await execa('swaplabel', [swapImage])).stdout).toContain(`UUID:  ${uuid}`);
    const varPart = disk.partitions.find((p) => p.name === 'var')!;
    const varImage = await extract(disk.path, varPart.start, varPart.size, join(work, 'var.ext4'));
    await execa('fsck.ext4', ['-fn', varImage]);
    const dumpe2fs = (await execa('dumpe2fs', ['-h', varImage])).stdout;
    expect(dumpe2fs).toMatch(/Filesystem volume name:\s+var$/m);
    expect(dumpe2fs).toMatch(new RegExp(`Block count:\\s+${(12 * MiB) / 4096}$`, 'm'));
  });

  it('builds byte-identical images twice, and leaves no work files behind', async () => {
    const again = await assembleDisk({ ...base, output: join(work, 'again.img') });
    expect(again.sha256).toBe(disk.sha256);
    expect((await readdir(work)).filter((name) => name.includes('.work-') || name.includes('.partial-'))).toEqual([]);
  });

  it('gives the same bytes with a boot piece cache, cold and warm, and rebuilds the ESP for another kernel', async () => {
    const cacheDir = join(work, 'boot-cache');
    const cold = await assembleDisk({ ...base, output: join(work, 'cache-cold.img'), cacheDir });
    const warm = await assembleDisk({ ...base, output: join(work, 'cache-warm.img'), cacheDir });
    expect(cold.sha256).toBe(disk.sha256);
    expect(warm.sha256).toBe(disk.sha256);
    const kinds = (await readdir(cacheDir))
      .filter((n) => !n.endsWith('.json'))
      .map((n) => n.replace(/-[0-9a-f]{32}$/, ''))
      .sort();
    expect(kinds).toEqual(['esp', 'grub-i386-pc', 'grub-x86_64-efi']);
    const kernel = join(work, 'vmlinuz-2');
    await writeFile(kernel, Buffer.alloc(2 * MiB, 9));
    const other = await assembleDisk({ ...base, kernel, output: join(work, 'cache-kernel.img'), cacheDir });
    const uncached = await assembleDisk({ ...base, kernel, output: join(work, 'nocache-kernel.img') });
    expect(other.sha256).toBe(uncached.sha256);
    expect(other.sha256).not.toBe(disk.sha256);
  });

  it('inspectDisk reports the partitions, their filesystems and the BIOS boot code; qcow2 reads the same', async () => {
    const raw = await inspectDisk(disk.path);
    expect(raw.backupValid).toBe(true);
    expect(raw.mbrBootCode).toBe('grub');
    expect(raw.partitions.map((p) => [p.name, p.typeName, p.filesystem?.type])).toEqual([
      ['BIOS boot', 'bios-boot', undefined],
      ['ESP', 'esp', 'vfat'],
      ['swap', 'swap', 'swap'],
      ['var', 'var', 'ext4'],
      ['root', 'root-x86-64', 'ext4'],
    ]);
    expect(raw.partitions[4]?.filesystem).toEqual({
      type: 'ext4',
      uuid: disk.root.fsUuid?.toLowerCase(),
      label: 'root',
    });
    expect(raw.partitions[1]?.filesystem).toEqual({ type: 'vfat', uuid: disk.esp.serial, label: 'ESP' });
    const qcow = await assembleDisk({ ...base, output: join(work, 'disk.qcow2'), format: 'qcow2' });
    expect(qcow.size).toBeLessThan(qcow.diskSize);
    await execa('qemu-img', ['check', qcow.path]);
    await execa('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', disk.path, qcow.path]);
    const inspected = await inspectDisk(qcow.path);
    expect(inspected.format).toBe('qcow2');
    expect(inspected.partitions).toEqual(raw.partitions);
  });

  it('fills a given disk size with the root partition; UEFI-only images have no BIOS boot partition', async () => {
    const sized = await assembleDisk({
      ...base,
      output: join(work, 'sized.img'),
      size: 64 * MiB,
      bios: false,
      extraPartitions: [],
    });
    expect(sized.diskSize).toBe(64 * MiB);
    expect(sized.partitions.map((p) => p.name)).toEqual(['ESP', 'root']);
    const root = sized.partitions[1]!;
    expect(root.start + root.size).toBe(63 * MiB);
    const inspected = await inspectDisk(sized.path);
    expect(inspected.mbrBootCode).toBe('none');
    await execa('sgdisk', ['-v', sized.path]);
    const ext4 = await extract(sized.path, root.start, root.size, join(work, 'sized-root.ext4'));
    await execa('fsck.ext4', ['-fn', ext4]);
    expect((await execa('dumpe2fs', ['-h', ext4])).stdout).toMatch(
      new RegExp(`Block count:\\s+${root.size / 4096}\\b`),
    );
  });

  it('puts shim, signed GRUB, MokManager and stub configs on a Secure Boot ESP; refuses an unsigned kernel', async () => {
    const { vmlinuz } = await kernelFiles();
    const secure = await assembleDisk({
      ...base,
      output: join(work, 'secure.img'),
      kernel: vmlinuz,
      secureBoot: true,
      extraPartitions: [],
    });
    expect(secure.boot).toEqual({ bios: true, uefi: true, secureBoot: true });
    expect(secure.sbat?.level.previous).toBeDefined();
    const espPart = secure.partitions.find((p) => p.name === 'ESP')!;
    const esp = await extract(secure.path, espPart.start, espPart.size, join(work, 'secure-esp.img'));
    const mtools = { env: { MTOOLS_SKIP_CHECK: '1' } };
    const listing = (await execa('mdir', ['-i', esp, '-/', '-b', '::/'], mtools)).stdout.split('\n').sort();
    expect(listing).toEqual([
      '::/EFI/',
      '::/EFI/BOOT/',
      '::/EFI/BOOT/BOOTX64.EFI',
      '::/EFI/BOOT/grub.cfg',
      '::/EFI/BOOT/grubx64.efi',
      '::/EFI/BOOT/mmx64.efi',
      '::/boot/',
      '::/boot/grub/',
      '::/boot/grub/grub.cfg',
      '::/grub/',
      '::/grub/grub.cfg',
      '::/initrd.img',
      '::/vmlinuz',
    ]);
    await execa('mcopy', ['-i', esp, '::/EFI/BOOT/BOOTX64.EFI', join(work, 'shim.efi')], mtools);
    expect((await readFile(join(work, 'shim.efi'))).equals(await readFile('/usr/lib/shim/shimx64.efi.signed'))).toBe(
      true,
    );
    const stub = (await execa('mtype', ['-i', esp, '::/boot/grub/grub.cfg'], mtools)).stdout;
    expect(stub).toContain(`search --no-floppy --fs-uuid --set=root '${secure.esp.serial}'`);
    expect(stub).toContain('configfile $prefix/grub.cfg');
    await expect(assembleDisk({ ...base, output: join(work, 'unsigned.img'), secureBoot: true })).rejects.toMatchObject(
      { code: 'ERR_KERNEL_UNSIGNED', path: base.kernel },
    );
  });

  it('refuses bad input with typed errors and writes nothing', async () => {
    const output = join(work, 'bad.img');
    await expect(assembleDisk({ ...base, output, size: 8 * MiB })).rejects.toMatchObject({
      code: 'ERR_DISK_TOO_SMALL',
      value: 'size',
    });
    await expect(assembleDisk({ ...base, output, kernel: join(work, 'missing') })).rejects.toMatchObject({
      code: 'ERR_INPUT_MISSING',
      path: join(work, 'missing'),
    });
    await expect(assembleDisk({ ...base, output, bios: false, uefi: false })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
      value: 'bios',
    });
    await expect(assembleDisk({ ...base, output, uefi: false, secureBoot: true })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
      value: 'secureBoot',
    });
    await expect(
      assembleDisk({ ...base, output, size: 64 * MiB, root: { ...base.root, size: 16 * MiB } }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS', value: 'size' });
    await expect(
      assembleDisk({
        ...base,
        output,
        root: {
          ...base.root,
          manifest: { format: 'distroforge-manifest', version: 1, entries: [{ path: '/nowhere/file', uid: 1 }] },
        },
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS', value: '/nowhere/file' });
    await expect(
      assembleDisk({
        ...base,
        output,
        extraPartitions: [{ name: 'swap', type: 'swap', size: 4 * MiB, mountPoint: '/swap' }],
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS', value: 'extraPartitions.swap.mountPoint' });
    expect(
      (await readdir(work)).filter(
        (name) => (name.startsWith('bad.img') && !name.endsWith('.log')) || name.includes('.work-'),
      ),
    ).toEqual([]);
  });
});
