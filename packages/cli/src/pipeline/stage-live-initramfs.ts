import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildLiveInitramfs, chooseInitramfsCompression, LIVE_MODULES } from '@distroforge/initramfs-cpio';
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
  /** `zstd -3`, `gzip -6`...: what chooseInitramfsCompression picked from the kernel's config. */
  compression: string;
}

/**
 * Stage 4: the live-boot initramfs (busybox + the live init + the module closure taken from the
 * root's own kernel) and that kernel, side by side. The compression follows the kernel's config
 * (`/boot/config-V` in the root: zstd where CONFIG_RD_ZSTD=y, gzip when no config is found), and
 * is part of the cache key, so archives of different compressions never share an entry.
 */
export async function liveInitramfsStage(
  ctx: BuildContext,
  rootfs: StageResult<unknown>,
): Promise<StageResult<LiveInitramfsStageResult>> {
  const { profile } = ctx.loaded;
  const label = mediumLabel(ctx.loaded);
  const extraModules = profile.kernel.modules;
  const root = join(rootfs.dir, 'rootfs');
  const kernel = await findKernel(root, (await profileLocalPackages(ctx.loaded)).kernel?.name);
  const { compress, level, config } = await chooseInitramfsCompression({ root, version: kernel.version });
  return ctx.cache.run({
    name: 'initramfs',
    inputs: {
      label,
      liveModules: LIVE_MODULES,
      extraModules,
      imageType: profile.image.type,
      epoch: ctx.epoch,
      compress,
      level,
    },
    upstream: [rootfs.key],
    describe: (r) =>
      `${r.modules} modules, ${(r.initrdBytes / 1048576).toFixed(1)} MiB, ${r.compression}${config ? '' : ' (no kernel config found)'}`,
    run: async (dir) => {
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
        compress,
        level,
        sourceDateEpoch: ctx.epoch,
      });
      return {
        kernelVersion: kernel.version,
        kernel: 'vmlinuz',
        initrd: 'initrd.img',
        initrdBytes: (await stat(join(dir, 'initrd.img'))).size,
        modules: result.modules?.modules.length ?? 0,
        compression: `${compress} -${level}`,
      };
    },
  });
}
