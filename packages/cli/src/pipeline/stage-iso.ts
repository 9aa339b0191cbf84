import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assembleIso } from '@distroforge/iso-assemble';
import type { StageResult } from '../engine/stage-cache.js';
import { firmwareFlags, mediumLabel, type BuildContext } from './build-context.js';
import type { ImageStageResult } from './stage-image.js';
import type { LiveInitramfsStageResult } from './stage-live-initramfs.js';
import { LAYER_ISO_PATH, type LayerStageResult } from './stage-layer.js';
import { liveKernelArgs as liveArgs } from '@distroforge/initramfs-cpio';
import { bootFilesKey, type BootFilesReport } from './stage-boot-files.js';

export interface IsoStageResult {
  file: string;
  bytes: number;
  label: string;
  /** Per firmware: the image's own boot files or the host's, and why (the build report's `bootFiles`). */
  bootFiles?: BootFilesReport[];
}

/** The kernel arguments every live boot entry carries (serial console so tests can read it). */
export function liveKernelArgs(ctx: BuildContext): string[] {
  return [
    'console=tty0',
    'console=ttyS0,115200',
    ...liveArgs({ label: mediumLabel(ctx.loaded) }),
    ...ctx.loaded.profile.boot.kernelArgs,
  ];
}

/**
 * Stage 5: the hybrid ISO (BIOS + UEFI, CD or USB) from kernel, initramfs and root image, plus the
 * overlay's layer above it when the image is of the bootstrapped root.
 */
export async function isoStage(
  ctx: BuildContext,
  image: StageResult<ImageStageResult>,
  initramfs: StageResult<LiveInitramfsStageResult>,
  layer: StageResult<LayerStageResult> | undefined,
  tree: StageResult<unknown>,
): Promise<StageResult<IsoStageResult>> {
  const { profile } = ctx.loaded;
  const label = mediumLabel(ctx.loaded);
  // The final tree is what the medium boots: its own shim, GRUB and modules when it has them.
  const boot = await ctx.bootFilesOf(join(tree.dir, 'rootfs'));
  const inputs = {
    label,
    kernelArgs: [...liveKernelArgs(ctx), ...(layer ? liveArgs({ layers: [LAYER_ISO_PATH] }) : [])],
    menu: {
      title: profile.description ?? profile.name,
      timeout: profile.boot.timeout,
      extraEntries: profile.boot.menu,
    },
    ...firmwareFlags(ctx.loaded),
    epoch: ctx.epoch,
    bootFiles: bootFilesKey(boot.report),
  };
  return ctx.cache.run({
    name: 'iso',
    inputs,
    upstream: [image.key, initramfs.key, ...(layer ? [layer.key] : [])],
    describe: (r) => `${(r.bytes / 1048576).toFixed(1)} MiB`,
    run: async (dir) => {
      const file = `${profile.name}.iso`;
      await assembleIso({
        output: join(dir, file),
        label,
        kernel: join(initramfs.dir, initramfs.result.kernel),
        initrd: join(initramfs.dir, initramfs.result.initrd),
        rootImage: join(image.dir, image.result.file),
        ...(layer ? { extraFiles: [{ source: join(layer.dir, layer.result.file), path: LAYER_ISO_PATH }] } : {}),
        kernelArgs: inputs.kernelArgs,
        menu: {
          title: inputs.menu.title,
          timeout: inputs.menu.timeout,
          extraEntries: inputs.menu.extraEntries.map((e) => ({ ...e, append: e.append })),
        },
        bios: inputs.bios,
        uefi: inputs.uefi,
        secureBoot: inputs.secureBoot,
        bootFiles: boot.locations,
        sourceDateEpoch: ctx.epoch,
        logFile: join(dir, 'iso.log'),
        // GRUB images and ESPs made from the same pieces are copied from the state's cache (same bytes).
        cacheDir: join(ctx.paths.stateDir, 'cache', 'boot'),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return { file, bytes: (await stat(join(dir, file))).size, label, bootFiles: boot.report };
    },
  });
}
