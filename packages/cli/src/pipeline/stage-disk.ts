import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assembleDisk } from '@distroforge/disk-assemble';
import type { StageResult } from '../engine/stage-cache.js';
import { firmwareFlags, type BuildContext } from './build-context.js';
import { parseByteSize } from '../profile/byte-size.js';
import type { ImageStageResult } from './stage-image.js';
import type { LiveInitramfsStageResult } from './stage-live-initramfs.js';
import type { OverlayStageResult } from './stage-overlay.js';
import { liveKernelArgs } from '@distroforge/initramfs-cpio';
import { bootFilesKey, type BootFilesReport } from './stage-boot-files.js';

export interface DiskStageResult {
  file: string;
  bytes: number;
  format: 'raw' | 'qcow2';
  rootPartuuid: string;
  kernelArgs: string[];
  /** Manifest entries the ext4 writer could not apply (file capabilities). */
  notApplied: number;
  /** An ext4 root made from the cached image of the bootstrapped root plus the overlay's changes. */
  rootBase?: { cached: boolean; changed: number };
  /** Per firmware: the image's own boot files or the host's, and why (the build report's `bootFiles`). */
  bootFiles?: BootFilesReport[];
}

const MiB = 1024 * 1024;

/**
 * The kernel arguments of an installed disk: the live initramfs mounts the root partition
 * (`root=PARTUUID=...` added by disk-assemble) read-write, without an overlay, or a read-only
 * image root under an overlay whose writable layer is on the data partition (`live.persistence=`).
 */
export function diskKernelArgs(ctx: BuildContext): string[] {
  return [
    'console=tty0',
    'console=ttyS0,115200',
    ...liveKernelArgs({ root: 'disk' }),
    ...ctx.loaded.profile.boot.kernelArgs,
  ];
}

/** The root partition's source: the overlay tree (ext4 root) or the finished image (`disk.root: image`). */
export type DiskRootSource =
  | { kind: 'ext4'; overlay: StageResult<OverlayStageResult>; rootfs: StageResult<unknown> }
  | { kind: 'image'; image: StageResult<ImageStageResult>; tree: StageResult<unknown> };

/**
 * Stage 5b: a GPT disk image (BIOS boot partition, ESP with GRUB or Debian's signed shim + GRUB,
 * the profile's extra partitions, an ext4 root made from the overlay tree and its manifest, or the
 * read-only image plus a data partition), ready for `dd`. Every GUID and UUID derives from the
 * profile name, so rebuilds are byte-identical.
 */
export async function diskStage(
  ctx: BuildContext,
  source: DiskRootSource,
  initramfs: StageResult<LiveInitramfsStageResult>,
): Promise<StageResult<DiskStageResult>> {
  const { profile } = ctx.loaded;
  // The final tree is what the disk boots: its own shim, GRUB and modules when it has them.
  const boot = await ctx.bootFilesOf(join((source.kind === 'ext4' ? source.overlay : source.tree).dir, 'rootfs'));
  const inputs = {
    kernelArgs: diskKernelArgs(ctx),
    menu: { title: profile.description ?? profile.name, timeout: profile.boot.timeout },
    ...firmwareFlags(ctx.loaded),
    disk: profile.disk,
    seed: `distroforge:${profile.name}`,
    epoch: ctx.epoch,
    // The manifest names every owner (the overlay stage applies it to its tree only as root, for
    // tools that read owners from disk): every inode starts 0:0 and the manifest applies, so root
    // and ordinary builds make the same disk.
    owner: 'root' as const,
    bootFiles: bootFilesKey(boot.report),
  };
  return ctx.cache.run({
    name: 'disk',
    inputs,
    upstream: [source.kind === 'ext4' ? source.overlay.key : source.image.key, initramfs.key],
    describe: (r) =>
      `${(r.bytes / MiB).toFixed(0)} MiB ${r.format}${r.rootBase ? ` (root: ${r.rootBase.cached ? 'cached base' : 'new base'} + ${r.rootBase.changed} changes)` : ''}`,
    run: async (dir) => {
      const { disk } = profile;
      const file = `${profile.name}.${disk.format === 'qcow2' ? 'qcow2' : 'img'}`;
      const result = await assembleDisk(
        {
          output: join(dir, file),
          root:
            source.kind === 'ext4'
              ? {
                  directory: join(source.overlay.dir, 'rootfs'),
                  manifest: join(source.overlay.dir, 'manifest.json'),
                  owner: inputs.owner,
                  ...(disk.size === undefined ? { freeSpace: parseByteSize(disk.freeSpace) } : {}),
                  // The overlay tree is a hard-link farm of the bootstrapped root: an ext4 image of
                  // that root is kept (reused while the root stage is) and only the overlay's
                  // difference is written per build, on a cold build as on a rebuild.
                  base: {
                    directory: join(source.rootfs.dir, 'rootfs'),
                    manifest: join(source.rootfs.dir, 'manifest.json'),
                    key: source.rootfs.key,
                    cacheDir: join(ctx.paths.stateDir, 'cache', 'disk-base'),
                  },
                }
              : {
                  image: join(source.image.dir, source.image.result.file),
                  filesystem: source.image.result.type,
                  data: disk.size === undefined ? { size: roundUp(parseByteSize(disk.freeSpace), MiB) } : {},
                },
          kernel: join(initramfs.dir, initramfs.result.kernel),
          initrd: join(initramfs.dir, initramfs.result.initrd),
          kernelArgs: inputs.kernelArgs,
          ...(disk.size === undefined ? {} : { size: roundUp(parseByteSize(disk.size), MiB) }),
          bios: inputs.bios,
          uefi: inputs.uefi,
          secureBoot: inputs.secureBoot,
          bootFiles: boot.locations,
          extraPartitions: disk.partitions.map((p) => ({
            name: p.name,
            type: p.type,
            size: roundUp(parseByteSize(p.size), MiB),
            ...(p.filesystem ? { filesystem: p.filesystem } : {}),
            ...(p.label ? { label: p.label } : {}),
            ...(p.mountPoint ? { mountPoint: p.mountPoint } : {}),
          })),
          menu: { title: inputs.menu.title, timeout: inputs.menu.timeout },
          seed: inputs.seed,
          sourceDateEpoch: ctx.epoch,
          format: disk.format,
          logFile: join(dir, 'disk.log'),
          // GRUB images and ESPs made from the same pieces are copied from the state's cache (same bytes).
          cacheDir: join(ctx.paths.stateDir, 'cache', 'boot'),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        },
        { walk: ctx.walkStageTree },
      );
      // Hashed once by disk-assemble: publishing reuses it instead of reading the image again.
      await writeFile(join(dir, `${file}.sha256`), `${result.sha256}\n`);
      return {
        file,
        bytes: (await stat(join(dir, file))).size,
        format: disk.format,
        rootPartuuid: result.root.partuuid,
        kernelArgs: [...result.kernelArgs],
        notApplied: result.notApplied.length,
        ...(result.root.base
          ? { rootBase: { cached: result.root.base.cached, changed: result.root.base.changed } }
          : {}),
        bootFiles: boot.report,
      };
    },
  });
}

function roundUp(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}
