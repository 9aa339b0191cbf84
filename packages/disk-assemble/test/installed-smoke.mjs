// Run from a fresh project where the packed tarball is installed: builds a small UEFI + BIOS disk
// image from a dummy kernel/initrd and a one-file root, then reads its partition table back.
import { assembleDisk, inspectDisk, InvalidDiskOptionsError } from '@distroforge/disk-assemble';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = await mkdtemp(join(tmpdir(), 'disk-smoke-'));
try {
  const root = join(work, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/hostname'), 'smoke\n');
  await writeFile(join(work, 'vmlinuz'), 'not really a kernel\n');
  await writeFile(join(work, 'initrd.img'), 'not really an initramfs\n');
  const disk = await assembleDisk({
    output: join(work, 'smoke.img'),
    root: { directory: root, freeSpace: 4 << 20 },
    kernel: join(work, 'vmlinuz'),
    initrd: join(work, 'initrd.img'),
    sourceDateEpoch: 1700000000,
  });
  const inspected = await inspectDisk(disk.path);
  const names = inspected.partitions.map((p) => `${p.name}:${p.filesystem?.type ?? '-'}`).join(',');
  if (names !== 'BIOS boot:-,ESP:vfat,root:ext4') throw new Error(`unexpected partitions ${names}`);
  if (inspected.mbrBootCode !== 'grub' || !inspected.backupValid) throw new Error('MBR boot code or backup GPT wrong');
  const bad = await assembleDisk({
    output: join(work, 'x.img'),
    root: { directory: root },
    kernel: 'k',
    initrd: 'i',
    bios: false,
    uefi: false,
  }).catch((e) => e);
  if (!(bad instanceof InvalidDiskOptionsError)) throw new Error('expected InvalidDiskOptionsError');
  console.log(`disk-assemble ok: ${disk.diskSize} bytes, sha256 ${disk.sha256.slice(0, 12)}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
