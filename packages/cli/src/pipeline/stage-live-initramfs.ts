import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildLiveInitramfs, LIVE_MODULES } from '@distroforge/initramfs-cpio';
import type { StageResult } from '../engine/stage-cache.js';
import { mediumLabel, type BuildContext } from './build-context.js';
import { findKernel } from './find-kernel.js';
import { profileLocalPackages } from './rootfs-common.js';

export interface LiveInitramfsStageResult {
  kernelVersion: string;
  kernel: string;
  initrd: string;
  initrdBytes: number;
  modules: number;
}

/**
 * Stage 4: the live-boot initramfs (busybox + the live init + the module closure taken from the
 * root's own kernel) and that kernel, side by side.
 */
export async function liveInitramfsStage(ctx: BuildContext, rootfs: StageResult<unknown>): Promise<StageResult<LiveInitramfsStageResult>> {
  const { profile } = ctx.loaded;
  const label = mediumLabel(ctx.loaded);
  const extraModules = profile.kernel.modules;
  return ctx.cache.run({
    name: 'initramfs',
    inputs: { label, liveModules: LIVE_MODULES, extraModules, imageType: profile.image.type, epoch: ctx.epoch },
    upstream: [rootfs.key],
    describe: (r) => `${r.modules} modules, ${(r.initrdBytes / 1048576).toFixed(1)} MiB`,
    run: async (dir) => {
      const kernel = await findKernel(join(rootfs.dir, 'rootfs'), (await profileLocalPackages(ctx.loaded)).kernel?.name);
      await copyFile(kernel.vmlinuz, join(dir, 'vmlinuz'));
      const result = await buildLiveInitramfs({
        modulesDir: kernel.modulesDir,
        live: {
          label,
          imageType: profile.image.type,
          image: `/live/filesystem.${profile.image.type}`,
          ...(extraModules.length ? { modules: [...new Set([...LIVE_MODULES, ...extraModules])] } : {}),
        },
        output: join(dir, 'initrd.img'),
        compress: 'gzip',
        sourceDateEpoch: ctx.epoch,
      });
      return {
        kernelVersion: kernel.version,
        kernel: 'vmlinuz',
        initrd: 'initrd.img',
        initrdBytes: (await stat(join(dir, 'initrd.img'))).size,
        modules: result.modules?.modules.length ?? 0,
      };
    },
  });
}
