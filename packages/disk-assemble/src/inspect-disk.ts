import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskInputMissingError } from './errors.js';
import { probeFilesystem, type FilesystemInfo } from './probe-filesystem.js';
import { readGpt, type ReadGptPartition } from './read-gpt.js';
import { SECTOR } from './gpt.js';
import { runLogged } from '@distroforge/core';
import { findQemuImg } from './tools.js';

export interface DiskInspection {
  path: string;
  format: 'raw' | 'qcow2';
  diskSize: number;
  diskGuid: string;
  /** Whether the backup GPT at the end of the disk matches the primary one. */
  backupValid: boolean;
  /** `grub` when the MBR carries GRUB's boot.img (BIOS boot), `none` when its code area is empty. */
  mbrBootCode: 'grub' | 'none' | 'other';
  partitions: readonly (ReadGptPartition & { filesystem: FilesystemInfo | undefined })[];
}

/**
 * Reads a disk image's partition table and what each partition holds, in-process. A qcow2 image
 * is first converted to a temporary raw image with qemu-img (sparse, so cheap for mostly empty disks).
 */
export async function inspectDisk(path: string): Promise<DiskInspection> {
  const magic = Buffer.alloc(4);
  const probe = await open(path, 'r').catch((cause: unknown) => {
    throw new DiskInputMissingError('disk image', path, { cause });
  });
  await probe.read(magic, 0, 4, 0).finally(() => probe.close());
  if (magic.toString('latin1') !== 'QFI\xfb') return inspectRaw(path, path, 'raw');
  const work = await mkdtemp(join(tmpdir(), 'distroforge-inspect-'));
  try {
    const raw = join(work, 'disk.img');
    await runLogged((await findQemuImg()).path, ['convert', '-q', '-f', 'qcow2', '-O', 'raw', path, raw], {
      logFile: join(work, 'log'),
      timeoutMs: 30 * 60_000,
    });
    return await inspectRaw(path, raw, 'qcow2');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function inspectRaw(path: string, raw: string, format: 'raw' | 'qcow2'): Promise<DiskInspection> {
  const table = await readGpt(raw);
  const handle = await open(raw, 'r');
  try {
    const mbr = Buffer.alloc(SECTOR);
    await handle.read(mbr, 0, SECTOR, 0);
    const code = mbr.subarray(0, 440);
    const mbrBootCode = code.every((b) => b === 0) ? 'none' : code.includes(Buffer.from('GRUB ')) ? 'grub' : 'other';
    const partitions = [];
    for (const partition of table.partitions) {
      const head = Buffer.alloc(Math.min(8192, partition.size));
      await handle.read(head, 0, head.length, partition.start);
      partitions.push({ ...partition, filesystem: probeFilesystem(head) });
    }
    return {
      path,
      format,
      diskSize: table.sectorCount * SECTOR,
      diskGuid: table.diskGuid,
      backupValid: table.backupValid,
      mbrBootCode,
      partitions,
    };
  } finally {
    await handle.close();
  }
}
