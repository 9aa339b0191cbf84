import { bytesToGuid, partitionTypeName, partitionTypes } from '@distroforge/disk-assemble';
import { inspectIso, type IsoInspection } from '@distroforge/iso-assemble';
import { open, stat } from 'node:fs/promises';
import { humanSize, type HumanReport, type Table } from '../inspect-render.js';
import { describeEfiBinary, efiBinaryTable, readEsp, signatureText, uefiBootPath, type EfiBinary } from './esp.js';
import { fileTable, countsText, type FileRow } from './file-table.js';
import type { Inspection } from './inspection.js';
import { isoExtents, liveImageText, readLiveImage, type LiveImageInfo } from './live-image.js';
import { packagesFromBuildReport } from './package-count.js';

const ESP_TYPE = partitionTypes.esp;
/** What xorriso types the ISO 9660 partition (and gaps) as: Microsoft basic data. */
const BASIC_DATA = 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7';

/** What a file on a live medium is, from its name (the conventions of live-boot, casper, dracut, distroforge). */
function bootRole(path: string): 'live image' | 'kernel' | 'initrd' | undefined {
  const name = path.split('/').pop()?.toLowerCase() ?? '';
  if (/\.(squashfs|sfs|erofs)$/.test(name)) return 'live image';
  if (/^(vmlinuz|vmlinux|bzimage)([-.]|$)/.test(name)) return 'kernel';
  if (/^(initrd|initramfs)([-.]|$)/.test(name)) return 'initrd';
  return undefined;
}

/** The kernel release a bzImage names in its setup header (`kernel_version` at 0x20e), if any. */
export function bzImageVersion(bytes: Buffer): string | undefined {
  if (bytes.length < 0x210 || bytes.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  const at = bytes.readUInt16LE(0x20e) + 0x200;
  if (at >= bytes.length) return undefined;
  const end = bytes.indexOf(0, at);
  return bytes.toString('latin1', at, end === -1 ? at + 64 : end).split(' ')[0] || undefined;
}

/** `size` bytes at `offset` of a file (a kernel inside an ISO: a few MiB, read whole for its signature). */
async function readRange(file: string, offset: number, size: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const bytes = Buffer.alloc(size);
    const { bytesRead } = await handle.read(bytes, 0, size, offset);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function isoMode(entry: IsoInspection['files'][number]): number {
  const type = { file: 0o100000, dir: 0o040000, symlink: 0o120000, 'boot-catalog': 0o100000, other: 0 }[entry.type];
  let bits = 0;
  for (let i = 0; i < 9; i++) if (entry.mode[i] !== '-') bits |= 1 << (8 - i);
  return type | bits;
}

/** `2023111422132000` (ISO 9660's YYYYMMDDhhmmsscc) -> `2023-11-14 22:13:20 UTC`. */
function isoTime(stamp: string): string {
  const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)/.exec(stamp);
  return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]} UTC` : stamp;
}

export async function inspectIsoFile(file: string): Promise<Inspection> {
  const iso = await inspectIso(file);
  const { size } = await stat(file);
  const gptPartitions = (iso.systemArea.gpt?.partitions ?? []).map((p) => {
    const type = bytesToGuid(Buffer.from(p.typeGuid, 'hex'));
    return { ...p, type, typeName: partitionTypeName(type) ?? (type === BASIC_DATA ? 'basic data' : type) };
  });
  // The ESP: the GPT's EFI system partition, else an MBR partition of type 0xef, else the El Torito UEFI image.
  const uefiEntry = iso.elTorito.entries.find((e) => e.platform === 'UEFI');
  const espGpt = gptPartitions.find((p) => p.type === ESP_TYPE);
  const espMbr = iso.systemArea.mbr.find((p) => p.type === '0xef');
  const espOffset = espGpt
    ? espGpt.start * 512
    : espMbr
      ? espMbr.start * 512
      : uefiEntry
        ? uefiEntry.lba * 2048
        : undefined;
  const espWhere = espGpt
    ? `GPT partition ${espGpt.index}`
    : espMbr
      ? `MBR partition ${espMbr.index}`
      : uefiEntry
        ? 'El Torito UEFI image'
        : undefined;
  let espError: string | undefined;
  const esp =
    espOffset === undefined
      ? undefined
      : await readEsp(file, espOffset).catch((e: unknown) => {
          espError = (e as Error).message.split('\n')[0];
          return undefined;
        });

  const visible = iso.files.filter((f) => f.type !== 'dir');
  const roles = visible.flatMap((f) => {
    const role = bootRole(f.path);
    return role ? [{ ...f, role }] : [];
  });
  // Kernels and live images are read in place at their extents (one xorriso call finds them all).
  const extents = await isoExtents(
    file,
    roles.filter((r) => r.role === 'kernel' || r.role === 'live image').map((r) => r.path),
  );
  const kernels = new Map<string, { binary: EfiBinary | undefined; version: string | undefined }>();
  const liveImages = new Map<string, LiveImageInfo>();
  for (const extent of extents) {
    if (roles.find((r) => r.path === extent.path)?.role === 'kernel') {
      const bytes = await readRange(file, extent.offset, extent.size);
      kernels.set(extent.path, { binary: describeEfiBinary(extent.path, bytes), version: bzImageVersion(bytes) });
    } else liveImages.set(extent.path, await readLiveImage(file, extent));
  }
  const inImage = [...liveImages.entries()].find(([, info]) => info.packages !== undefined);
  const packages = inImage?.[1].packages
    ? { count: inImage[1].packages.count, source: `${inImage[1].packages.source} in ${inImage[0]}` }
    : await packagesFromBuildReport(file);

  const bios = iso.elTorito.entries.find((e) => e.platform === 'BIOS');
  const biosLoader = (path: string | undefined) =>
    path === undefined ? 'a boot image' : /isolinux/i.test(path) ? 'ISOLINUX' : /grub/i.test(path) ? 'GRUB' : path;
  const boot: string[] = [];
  if (bios)
    boot.push(`BIOS (CD/DVD): ${biosLoader(bios.imagePath)} via El Torito (${bios.imagePath ?? `LBA ${bios.lba}`})`);
  if (/grub2-mbr/.test(iso.systemArea.summary)) boot.push('BIOS (USB stick): GRUB via the hybrid MBR');
  else if (/isohybrid/.test(iso.systemArea.summary)) boot.push('BIOS (USB stick): isohybrid MBR');
  if (esp) {
    const path = uefiBootPath(esp);
    boot.push(`UEFI: ${path ?? 'no /EFI/BOOT/BOOT<arch>.EFI on the ESP'}`);
  } else if (espWhere) boot.push(`UEFI: ESP (${espWhere}) not read: ${espError ?? 'unknown'}`);

  const liveRows = roles.map((r) => {
    const kernel = kernels.get(r.path);
    const detail =
      r.role === 'kernel' && kernel
        ? [kernel.version, kernel.binary ? signatureText(kernel.binary) : 'not an EFI binary']
            .filter(Boolean)
            .join(', ')
        : '';
    return [r.path, r.role, humanSize(r.size), detail];
  });
  const liveTable: Table = {
    columns: [{ title: 'path' }, { title: 'what' }, { title: 'size', align: 'right' }, { title: 'detail' }],
    rows: liveRows,
  };
  const partitionTable: Table = {
    columns: [
      { title: '#', align: 'right' },
      { title: 'name' },
      { title: 'type' },
      { title: 'start', align: 'right' },
      { title: 'size', align: 'right' },
    ],
    rows: gptPartitions.map((p) => [
      String(p.index),
      p.name,
      p.typeName,
      humanSize(p.start * 512),
      humanSize(p.size * 512),
    ]),
  };
  const eltoritoTable: Table = {
    columns: [
      { title: 'platform' },
      { title: 'emulation' },
      { title: 'boot image' },
      { title: 'load size', align: 'right' },
    ],
    rows: iso.elTorito.entries.map((e) => [
      e.platform,
      e.emulation,
      e.imagePath ??
        (espOffset === e.lba * 2048 && espWhere ? `the ESP (${espWhere}, hidden)` : `(hidden, LBA ${e.lba})`),
      humanSize(e.loadSize * 512),
    ]),
  };
  const rows: FileRow[] = iso.files.map((f) => ({ mode: isoMode(f), size: f.size, path: f.path }));
  const human: HumanReport = {
    title: `ISO 9660 image, ${humanSize(size)}`,
    facts: [
      ['volume id', iso.volumeId],
      ['created', isoTime(iso.creationTime)],
      ['system area', iso.systemArea.summary || 'empty'],
      ['boots', boot],
      [
        'live system',
        roles.filter((r) => r.role === 'live image').map((r) => liveImageText(r.path, r.size, liveImages.get(r.path))),
      ],
      [
        'packages',
        packages
          ? `${packages.count} (from ${packages.source})`
          : 'unknown (no package database in the live image; no build-report.json lists the ISO)',
      ],
      ['contents', countsText(rows)],
    ],
    sections: [
      { heading: 'El Torito boot entries', table: eltoritoTable },
      { heading: 'Partitions (GPT in the system area)', table: partitionTable },
      ...(esp ? [{ heading: `EFI binaries on the ESP (${espWhere})`, table: efiBinaryTable(esp.binaries) }] : []),
      { heading: 'Live images, kernels and initrds', table: liveTable },
    ],
    files: { heading: `Files (${rows.length})`, table: fileTable(rows) },
  };
  return {
    file,
    kind: 'iso',
    summary: {
      volumeId: iso.volumeId,
      creationTime: iso.creationTime,
      elTorito: iso.elTorito.entries,
      systemArea: iso.systemArea.summary,
      gpt: iso.systemArea.gpt,
      mbr: iso.systemArea.mbr,
      bootPaths: boot,
      efiBinaries: esp?.binaries ?? [],
      liveFiles: roles.map((r) => ({
        path: r.path,
        role: r.role,
        size: r.size,
        ...(kernels.get(r.path)?.version ? { version: kernels.get(r.path)?.version } : {}),
        ...(liveImages.get(r.path) ? { image: liveImages.get(r.path) } : {}),
        ...(kernels.get(r.path)?.binary
          ? { signed: kernels.get(r.path)?.binary?.signed, signers: kernels.get(r.path)?.binary?.signers }
          : {}),
      })),
      packages: packages?.count,
    },
    entries: iso.files.map((f) => JSON.stringify(f)),
    human,
  };
}
