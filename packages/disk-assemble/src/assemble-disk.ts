import { parseOptions, sha256File, sourceDateEpoch, writeAtomically } from '@distroforge/core';
import {
  buildEspImage,
  buildGrubImage,
  checkSecureBootFiles,
  debianBootFiles,
  defaultGrubModules,
  grubQuote,
  renderGrubMenu,
  uefiBootFiles,
  type BootFileLocations,
  type SbatCheck,
} from '@distroforge/boot-loader';
import { liveKernelArgs } from '@distroforge/initramfs-cpio';
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { prepareBiosBoot } from './bios-boot.js';
import { copyInto } from './copy-into.js';
import { DiskInputMissingError, DiskTooSmallError, invalidDiskOptions, InvalidDiskOptionsError } from './errors.js';
import { buildExt4Image, ext4SizeFor, type Ext4Image } from './ext4-image.js';
import { buildExt4FromBase, type Ext4FromBase } from './ext4-from-base.js';
import { speculateBaseCopy, type SpeculativeBaseCopy } from './speculative-base-copy.js';
import { SECTOR } from './gpt.js';
import { deriveGuid } from './guid.js';
import { partitionTypeGuid, partitionTypes } from './partition-types.js';
import { swapHeader } from './swap-header.js';
import { layoutPartitions, MiB, type PartitionRequest } from './layout.js';
import { assembleDiskOptionsSchema, type AssembleDiskOptions, type NormalisedDiskOptions } from './options.js';
import { convertToQcow2 } from './qcow2.js';
import { readGpt, type ReadGptPartition } from './read-gpt.js';
import { writeGpt } from './write-gpt.js';
import { buildDataPartition, DEFAULT_DATA_SIZE } from './data-partition.js';
import { readRootInput, type RootInput } from './root-input.js';
import type { TreeWalker } from './walk-tree.js';

export interface AssembledDisk {
  path: string;
  format: 'raw' | 'qcow2';
  /** Size of the file written (qcow2: the container, not the virtual disk). */
  size: number;
  /** The virtual disk size in bytes. */
  diskSize: number;
  sha256: string;
  seed: string;
  sourceDateEpoch: number;
  diskGuid: string;
  partitions: readonly ReadGptPartition[];
  /** `fsUuid` is the ext4 UUID (undefined for a squashfs/EROFS image root, which has none). */
  root: {
    partuuid: string;
    filesystem: 'ext4' | 'squashfs' | 'erofs';
    fsUuid: string | undefined;
    size: number;
    /** For an ext4 root built from a base: the base image, whether it was cached, and how many paths the delta changed. */
    base?: { image: string; cached: boolean; changed: number };
  };
  /** The writable data partition that follows a read-only image root (the overlay's upper layer). */
  data?: { partuuid: string; fsUuid: string; size: number };
  esp: { serial: string; size: number };
  boot: { bios: boolean; uefi: boolean; secureBoot: boolean };
  /** The SBAT check of shim and signed GRUB, for Secure Boot images. */
  sbat: SbatCheck | undefined;
  /** The kernel command line every boot entry uses. */
  kernelArgs: readonly string[];
  /** Manifest fields not written into the root filesystem (file capabilities). */
  notApplied: Ext4Image['notApplied'];
  logFile: string;
}

/** What a caller already has besides the options (not validated: functions and large listings). */
export interface AssembleDiskPrepared {
  /**
   * Lists the root and base trees instead of walkTree: a build that walks the same unchanging
   * trees for other outputs passes one that remembers them.
   */
  walk?: TreeWalker;
}

/** The step a computed ext4 root size built from a base is rounded up to, so small changes keep the cached base. */
const BASE_SIZE_STEP = 64 * MiB;

/**
 * Builds a GPT disk image: [BIOS boot partition with GRUB's core.img,] an ESP holding GRUB for
 * UEFI, grub.cfg, the kernel and the initramfs, any extra (empty) partitions, and an ext4 root
 * filesystem made from a directory plus a manifest, or a read-only squashfs/EROFS root image
 * followed by an ext4 data partition for the overlay's upper layer. Every GUID, UUID and serial derives from the
 * seed; the image is written to a temporary name and renamed.
 */
export async function assembleDisk(
  given: AssembleDiskOptions,
  prepared: AssembleDiskPrepared = {},
): Promise<AssembledDisk> {
  const options = parseOptions(assembleDiskOptionsSchema, given, invalidDiskOptions);
  for (const [what, path] of [
    ['kernel', options.kernel],
    ['initrd', options.initrd],
  ] as const) {
    await stat(path).catch((cause: unknown) => {
      throw new DiskInputMissingError(what, path, { cause });
    });
  }
  const logFile = options.logFile ?? `${options.output}.log`;
  await writeFile(logFile, '');
  const speculative =
    'directory' in options.root && options.root.base
      ? await speculateBaseCopy(options.root.base.cacheDir, dirname(options.output), {
          logFile,
          signal: options.signal,
        })
      : undefined;
  try {
    return await assembleWith(options, logFile, speculative, prepared);
  } finally {
    await speculative?.discard();
  }
}

async function assembleWith(
  options: NormalisedDiskOptions,
  logFile: string,
  speculative: SpeculativeBaseCopy | undefined,
  prepared: AssembleDiskPrepared,
): Promise<AssembledDisk> {
  const input = await readRootInput(options.root, prepared.walk);
  const newest = Math.max(
    input.newestMtime,
    ...(await Promise.all(
      [options.kernel, options.initrd].map(async (p) => Math.floor((await stat(p)).mtimeMs / 1000)),
    )),
  );
  const epoch = options.sourceDateEpoch ?? sourceDateEpoch(newest) ?? newest;
  const extraArgs =
    typeof options.kernelArgs === 'string' ? options.kernelArgs.split(/\s+/).filter(Boolean) : options.kernelArgs;
  const seed = options.seed ?? (await inputDigest(options, input, extraArgs, epoch));
  const guid = (purpose: string) => deriveGuid(seed, purpose);
  const rootPartuuid = guid('partition:root');
  const dataPartuuid = guid('partition:data');
  const partuuid = (uuid: string) => `PARTUUID=${uuid.toLowerCase()}`;
  // A read-only image root is overlaid by the live init with its upper layer on the data partition.
  const kernelArgs =
    input.kind === 'ext4'
      ? [`root=${partuuid(rootPartuuid)}`, 'rootfstype=ext4', 'rw', 'rootwait', ...extraArgs]
      : [
          `root=${partuuid(rootPartuuid)}`,
          `rootfstype=${input.filesystem}`,
          'ro',
          'rootwait',
          ...liveKernelArgs({ persistence: partuuid(dataPartuuid) }),
          ...extraArgs,
        ];
  const espSerial = Number.parseInt(guid('esp-serial').slice(0, 8), 16);
  const espUuid =
    `${espSerial.toString(16).padStart(8, '0').slice(0, 4)}-${espSerial.toString(16).padStart(8, '0').slice(4)}`.toUpperCase();

  const work = await mkdtemp(join(dirname(options.output), `.${basename(options.output)}.work-`));
  try {
    const run = { logFile, signal: options.signal };
    const cached = { cacheDir: options.cacheDir };
    const locations: BootFileLocations = { ...debianBootFiles, ...options.bootFiles };
    const sbat = options.secureBoot
      ? await checkSecureBootFiles({ kernel: options.kernel, locations, mokManager: options.mokManager, logFile })
      : undefined;
    // The menu lives in /grub, not /boot/grub: on a Secure Boot ESP, /boot/grub/grub.cfg is the
    // stub that Debian's signed GRUB reads first, which then loads the menu.
    const embedded = `search --no-floppy --fs-uuid --set=root ${grubQuote(espUuid)}\nset prefix=($root)/grub\n`;
    const biosCore = options.bios
      ? await buildGrubImage({
          format: 'i386-pc',
          output: join(work, 'core.img'),
          embeddedConfig: embedded,
          modules: defaultGrubModules.bios,
          moduleDir: locations.grubI386PcDir,
          modulePackage: 'grub-pc-bin',
          ...run,
          ...cached,
        })
      : undefined;
    const uefiFiles = options.uefi
      ? await uefiBootFiles({
          secureBoot: options.secureBoot,
          findBootFiles: embedded,
          mokManager: options.mokManager,
          locations,
          workDir: work,
          ...run,
          ...cached,
        })
      : [];
    const grubCfg = renderGrubMenu({
      entries: [{ type: 'linux', id: 'default', title: options.menu.title, append: [] }],
      defaultEntry: 'default',
      timeout: options.menu.timeout,
      serial: options.menu.serial,
      kernel: '/vmlinuz',
      initrd: '/initrd.img',
      kernelArgs,
    });
    const esp = await buildEspImage({
      output: join(work, 'esp.img'),
      files: [
        ...uefiFiles,
        { path: '/grub/grub.cfg', content: grubCfg },
        { path: '/vmlinuz', source: options.kernel },
        { path: '/initrd.img', source: options.initrd },
      ],
      sourceDateEpoch: epoch,
      volumeLabel: 'ESP',
      serial: espSerial,
      ...(options.espSize === undefined ? {} : { size: options.espSize }),
      ...run,
      ...cached,
    });

    const imageSize = input.kind === 'image' ? Math.ceil(input.size / MiB) * MiB : 0;
    const fixed =
      (options.bios ? MiB : 0) +
      Math.ceil(esp.size / MiB) * MiB +
      options.extraPartitions.reduce((sum, p) => sum + Math.ceil(p.size / MiB) * MiB, 0) +
      imageSize;
    const gptOverhead = 2 * MiB;
    // The last partition (the ext4 root, or the data partition after an image root) takes the rest of a given disk size.
    let lastSize = input.kind === 'ext4' ? input.options.size : input.options.data.size;
    if (options.size !== undefined) {
      lastSize = Math.floor((options.size - fixed - gptOverhead) / MiB) * MiB;
      if (lastSize < 8 * MiB)
        throw new DiskTooSmallError('the disk', options.size, fixed + gptOverhead + 8 * MiB, { value: 'size' });
    }
    const fstab = options.fstab ? fstabFor(options, input.kind === 'ext4' ? rootPartuuid : undefined, guid) : undefined;
    const contentSize = (tree: RootInput & { kind: 'ext4' }) => {
      const bytes = ext4SizeFor(tree.tree) + tree.options.freeSpace;
      return tree.base ? Math.ceil(bytes / BASE_SIZE_STEP) * BASE_SIZE_STEP : bytes;
    };
    const rootSize = input.kind === 'ext4' ? (lastSize ?? contentSize(input)) : input.size;
    // The ext4 root is made in place, inside the disk image (no root image to copy and hash).
    const ext4Options = (tree: RootInput & { kind: 'ext4' }, disk: string, offset: number) => ({
      directory: tree.options.directory,
      files: fstab === undefined ? [] : [{ path: '/etc/fstab', content: fstab }],
      manifest: tree.manifest,
      owner: tree.options.owner,
      output: disk,
      offset,
      size: rootSize,
      uuid: guid('filesystem:root'),
      hashSeed: guid('hash-seed:root'),
      label: tree.options.label,
      sourceDateEpoch: epoch,
      ...run,
    });
    const buildRoot = async (
      disk: string,
      offset: number,
      diskSize: number,
    ): Promise<{
      size: number;
      uuid: string | undefined;
      notApplied: Ext4Image['notApplied'];
      base?: Ext4FromBase['base'];
      changed?: number;
    }> => {
      if (input.kind === 'image') return copyRootImage(input.options.image, disk, offset);
      if (!input.base) return buildExt4Image(ext4Options(input, disk, offset), { tree: input.tree });
      return buildExt4FromBase(
        { ...ext4Options(input, disk, offset), fileSize: diskSize, base: input.base, cacheDir: input.base.cacheDir },
        { tree: input.tree, speculative, ...prepared },
      );
    };
    const data =
      input.kind === 'image'
        ? await buildDataPartition({
            work,
            size: lastSize ?? DEFAULT_DATA_SIZE,
            label: input.options.data.label,
            fstab,
            uuid: guid('filesystem:data'),
            hashSeed: guid('hash-seed:data'),
            sourceDateEpoch: epoch,
            ...run,
          })
        : undefined;
    const extras = await Promise.all(options.extraPartitions.map((p) => extraContent(p, seed, epoch, work, run)));
    const requests: PartitionRequest[] = [
      ...(options.bios ? [{ name: 'BIOS boot', type: 'bios-boot', size: MiB, guid: guid('partition:bios') }] : []),
      { name: 'ESP', type: 'esp', size: esp.size, guid: guid('partition:esp') },
      ...options.extraPartitions.map((p) => ({
        name: p.name,
        type: p.type,
        size: p.size,
        guid: guid(`partition:extra:${p.name}`),
      })),
      { name: 'root', type: 'root-x86-64', size: rootSize, guid: rootPartuuid },
      ...(data ? [{ name: 'data', type: 'linux-data', size: data.size, guid: dataPartuuid }] : []),
    ];
    const table = layoutPartitions(requests, {
      seed,
      ...(options.size === undefined ? {} : { diskSize: options.size }),
    });
    const at = (name: string) => table.partitions.find((p) => p.name === name)!;
    const bios = biosCore
      ? await prepareBiosBoot(
          join(locations.grubI386PcDir, 'boot.img'),
          biosCore,
          at('BIOS boot').firstLba,
          MiB / SECTOR,
        )
      : undefined;

    const raw = options.format === 'raw' ? undefined : join(work, 'disk.img');
    const writeRaw = async (path: string) => {
      const rootAt = [path, at('root').firstLba * SECTOR, table.sectorCount * SECTOR] as const;
      // A root from a base creates the image file (a copy of the cached base, already in place); the table goes around it.
      const fromBase = input.kind === 'ext4' && input.base ? await buildRoot(...rootAt) : undefined;
      await writeGpt(path, table, bios ? { mbrBootCode: bios.mbrBootCode } : {});
      const root = fromBase ?? (await buildRoot(...rootAt));
      const handle = await open(path, 'r+');
      try {
        if (bios) await handle.write(bios.coreImage, 0, bios.coreImage.length, at('BIOS boot').firstLba * SECTOR);
        await copyInto(esp.path, handle, at('ESP').firstLba * SECTOR);
        if (data) await copyInto(data.path, handle, at('data').firstLba * SECTOR);
        for (const [index, extra] of extras.entries()) {
          const offset = at(options.extraPartitions[index]!.name).firstLba * SECTOR;
          if (Buffer.isBuffer(extra)) await handle.write(extra, 0, extra.length, offset);
          else if (extra !== undefined) await copyInto(extra, handle, offset);
        }
      } finally {
        await handle.close();
      }
      return root;
    };
    const root = await writeAtomically(options.output, async (temp) => {
      if (raw === undefined) return writeRaw(temp);
      const built = await writeRaw(raw);
      await convertToQcow2(raw, temp, run);
      return built;
    });
    const partitions = (await readGpt(raw ?? options.output)).partitions;
    return {
      path: options.output,
      format: options.format,
      size: (await stat(options.output)).size,
      diskSize: table.sectorCount * SECTOR,
      sha256: await sha256File(options.output),
      seed,
      sourceDateEpoch: epoch,
      diskGuid: table.diskGuid,
      partitions,
      root: {
        partuuid: rootPartuuid,
        filesystem: input.kind === 'ext4' ? 'ext4' : input.filesystem,
        fsUuid: root.uuid,
        size: root.size,
        ...(root.base ? { base: { ...root.base, changed: root.changed ?? 0 } } : {}),
      },
      ...(data ? { data: { partuuid: dataPartuuid, fsUuid: data.uuid, size: data.size } } : {}),
      esp: { serial: espUuid, size: esp.size },
      boot: { bios: options.bios, uefi: options.uefi, secureBoot: options.secureBoot },
      sbat,
      kernelArgs,
      notApplied: root.notApplied,
      logFile,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The default seed: what the image is made of (tree listing with mtimes as the image stores them
 * and the manifest, or the root image's bytes; kernel, initrd, arguments, layout).
 */
async function inputDigest(
  options: NormalisedDiskOptions,
  input: RootInput,
  args: readonly string[],
  epoch: number,
): Promise<string> {
  const hash = createHash('sha256');
  const root =
    input.kind === 'ext4'
      ? {
          tree: input.tree.map((e) => [e.path, e.type, e.size, Math.min(e.mtimeSec, epoch)]),
          manifest: input.manifest,
          rootSize: input.options.size ?? null,
        }
      : { image: await sha256File(input.options.image), data: input.options.data };
  hash.update(
    JSON.stringify({
      ...root,
      args,
      extra: options.extraPartitions,
      size: options.size ?? null,
      bios: options.bios,
      uefi: options.uefi,
      fstab: options.fstab,
    }),
  );
  hash.update(await sha256File(options.kernel));
  hash.update(await sha256File(options.initrd));
  return hash.digest('hex');
}

/** A read-only root image copied into its partition; it has no filesystem UUID of ours and no manifest. */
async function copyRootImage(
  image: string,
  disk: string,
  offset: number,
): Promise<{ size: number; uuid: undefined; notApplied: Ext4Image['notApplied'] }> {
  const handle = await open(disk, 'r+');
  try {
    return { size: await copyInto(image, handle, offset), uuid: undefined, notApplied: [] };
  } finally {
    await handle.close();
  }
}

/**
 * An extra partition's content: a swap header (written in place), the path of an empty ext4 image
 * of the partition's size, or nothing. UUIDs derive from the seed and the partition name.
 */
/**
 * The root's /etc/fstab: every partition by its GPT PARTUUID, so nothing depends on device names.
 * Without `rootPartuuid` (a read-only image root, mounted by the initramfs) it lists no `/`.
 */
export function fstabFor(
  options: NormalisedDiskOptions,
  rootPartuuid: string | undefined,
  guid: (purpose: string) => string,
): string {
  const id = (uuid: string) => `PARTUUID=${uuid.toLowerCase()}`;
  const lines = [
    '# /etc/fstab written by @distroforge/disk-assemble: partitions by GPT PARTUUID',
    '# <file system> <mount point> <type> <options> <dump> <pass>',
    ...(rootPartuuid === undefined ? [] : [`${id(rootPartuuid)} / ext4 rw,errors=remount-ro 0 1`]),
  ];
  lines.push(`${id(guid('partition:esp'))} /boot/efi vfat umask=0077,nofail 0 2`);
  for (const p of options.extraPartitions) {
    const filesystem = p.filesystem ?? (partitionTypeGuid(p.type) === partitionTypes.swap ? 'swap' : 'none');
    if (p.mountPoint && filesystem !== 'ext4')
      throw new InvalidDiskOptionsError(`partition ${p.name}: a mountPoint needs filesystem ext4`, {
        value: `extraPartitions.${p.name}.mountPoint`,
      });
    if (filesystem === 'swap') lines.push(`${id(guid(`partition:extra:${p.name}`))} none swap sw,nofail 0 0`);
    else if (filesystem === 'ext4' && p.mountPoint)
      lines.push(`${id(guid(`partition:extra:${p.name}`))} ${p.mountPoint} ext4 defaults,nofail 0 2`);
  }
  return `${lines.join('\n')}\n`;
}

async function extraContent(
  partition: NormalisedDiskOptions['extraPartitions'][number],
  seed: string,
  epoch: number,
  work: string,
  run: { logFile: string; signal: AbortSignal | undefined },
): Promise<Buffer | string | undefined> {
  const filesystem =
    partition.filesystem ?? (partitionTypeGuid(partition.type) === partitionTypes.swap ? 'swap' : 'none');
  const size = Math.ceil(partition.size / MiB) * MiB;
  const uuid = deriveGuid(seed, `filesystem:extra:${partition.name}`);
  if (filesystem === 'swap') return swapHeader(size, uuid, partition.label);
  if (filesystem === 'none') return undefined;
  const empty = await mkdtemp(join(work, 'empty-'));
  const image = await buildExt4Image({
    directory: empty,
    output: join(work, `extra-${createHash('sha256').update(partition.name).digest('hex').slice(0, 12)}.ext4`),
    size,
    uuid,
    hashSeed: deriveGuid(seed, `hash-seed:extra:${partition.name}`),
    label: partition.label ?? partition.name.slice(0, 16),
    sourceDateEpoch: epoch,
    ...run,
  });
  return image.path;
}
