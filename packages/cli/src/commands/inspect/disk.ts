import { findTool, knownTools } from '@distroforge/core';
import { inspectDisk } from '@distroforge/disk-assemble';
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { humanSize, type HumanReport, type Table } from '../inspect-render.js';
import { efiBinaryTable, readEsp, uefiBootPath, type EspContents } from './esp.js';
import type { Inspection } from './inspection.js';
import { packagesFromBuildReport, packagesInExt4, packagesInSquashfs, type PackageCount } from './package-count.js';

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0).padStart(6)} MiB`;
}

/**
 * Reads the ESP of a disk image: in place for a raw image, from a copy of just its byte range
 * (`qemu-img dd`) for a qcow2 one.
 */
async function readDiskEsp(file: string, format: 'raw' | 'qcow2', start: number, size: number): Promise<EspContents> {
  if (format === 'raw') return readEsp(file, start);
  const work = await mkdtemp(join(tmpdir(), 'distroforge-inspect-esp-'));
  try {
    const qemuImg = await findTool(knownTools.qemuImg);
    const out = join(work, 'esp.img');
    const block = 512;
    await execa(
      qemuImg.path,
      [
        'dd',
        '-f',
        'qcow2',
        '-O',
        'raw',
        `bs=${block}`,
        `skip=${start / block}`,
        `count=${size / block}`,
        `if=${file}`,
        `of=${out}`,
      ],
      { stdin: 'ignore' },
    );
    return await readEsp(out, 0);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The package count of a raw disk's root: the first ext4 or squashfs partition holding a package
 * database, read in place. A qcow2 disk is not converted for it (the build report may still tell).
 */
async function packagesInPartitions(
  file: string,
  disk: Awaited<ReturnType<typeof inspectDisk>>,
): Promise<PackageCount | undefined> {
  if (disk.format !== 'raw') return undefined;
  for (const p of disk.partitions) {
    const type = p.filesystem?.type;
    const found =
      type === 'ext4' || type === 'ext2/3'
        ? await packagesInExt4(file, p.start).catch(() => undefined)
        : type === 'squashfs'
          ? await packagesInSquashfs(file, (await findTool(knownTools.unsquashfs)).path, p.start).catch(() => undefined)
          : undefined;
    if (found) return { count: found.count, source: `${found.source} in partition ${p.index} (${p.name || type})` };
  }
  return undefined;
}

export async function inspectDiskFile(file: string): Promise<Inspection> {
  const disk = await inspectDisk(file);
  const esp = disk.partitions.find((p) => p.typeName === 'esp');
  let espError: string | undefined;
  const contents = esp
    ? await readDiskEsp(file, disk.format, esp.start, esp.size).catch((e: unknown) => {
        espError = (e as Error).message.split('\n')[0];
        return undefined;
      })
    : undefined;
  const biosBoot = disk.partitions.find((p) => p.typeName === 'bios-boot');
  const boot: string[] = [];
  if (disk.mbrBootCode === 'grub')
    boot.push(`BIOS: GRUB (boot code in the MBR${biosBoot ? `, core image in partition ${biosBoot.index}` : ''})`);
  else if (disk.mbrBootCode === 'other') boot.push('BIOS: boot code in the MBR (not GRUB)');
  if (contents) boot.push(`UEFI: ${uefiBootPath(contents) ?? 'no /EFI/BOOT/BOOT<arch>.EFI on the ESP'}`);
  else if (esp) boot.push(`UEFI: ESP (partition ${esp.index}) not read: ${espError ?? 'unknown'}`);
  const packages = (await packagesInPartitions(file, disk)) ?? (await packagesFromBuildReport(file));
  const partitions: Table = {
    columns: [
      { title: '#', align: 'right' },
      { title: 'name' },
      { title: 'type' },
      { title: 'start', align: 'right' },
      { title: 'size', align: 'right' },
      { title: 'filesystem' },
    ],
    rows: disk.partitions.map((p) => [
      String(p.index),
      p.name,
      p.typeName ?? p.type,
      humanSize(p.start),
      humanSize(p.size),
      p.filesystem
        ? [p.filesystem.type, p.filesystem.label ? `"${p.filesystem.label}"` : '', p.filesystem.uuid ?? '']
            .filter(Boolean)
            .join(' ')
        : '',
    ]),
  };
  const human: HumanReport = {
    title: `GPT disk image (${disk.format}), ${humanSize(disk.diskSize)}`,
    facts: [
      ['format', disk.format],
      ['disk size', humanSize(disk.diskSize)],
      ['disk GUID', disk.diskGuid],
      ['backup GPT', disk.backupValid ? 'matches the primary' : 'DOES NOT match the primary'],
      ['boots', boot],
      [
        'packages',
        packages
          ? `${packages.count} (from ${packages.source})`
          : 'unknown (no package database on an ext4 or squashfs partition; no build-report.json lists the disk)',
      ],
    ],
    sections: contents
      ? [
          {
            heading: `ESP files (partition ${esp?.index})`,
            table: {
              columns: [{ title: 'size', align: 'right' }, { title: 'path' }],
              rows: contents.files.map((f) => [humanSize(f.size), f.path]),
            },
          },
          { heading: 'EFI binaries on the ESP', table: efiBinaryTable(contents.binaries) },
        ]
      : [],
    files: { heading: `Partitions (${disk.partitions.length})`, table: partitions },
  };
  return {
    file,
    kind: 'disk',
    summary: {
      format: disk.format,
      diskSize: disk.diskSize,
      diskGuid: disk.diskGuid,
      backupGptValid: disk.backupValid,
      mbrBootCode: disk.mbrBootCode,
      partitions: disk.partitions.length,
      bootPaths: boot,
      efiBinaries: contents?.binaries ?? [],
      packages: packages?.count,
    },
    entries: disk.partitions.map((p) => {
      const fs = p.filesystem
        ? ` ${p.filesystem.type}${p.filesystem.label ? ` "${p.filesystem.label}"` : ''}${p.filesystem.uuid ? ` ${p.filesystem.uuid}` : ''}`
        : '';
      return `${p.index} ${p.name.padEnd(10)} ${(p.typeName ?? p.type).padEnd(12)} start ${mib(p.start)} size ${mib(p.size)} ${p.guid}${fs}`;
    }),
    human,
  };
}
