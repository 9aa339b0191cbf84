import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildLiveInitramfs, chooseInitramfsCompression, LIVE_MODULES } from '@distroforge/initramfs-cpio';
import type { StageResult } from '../engine/stage-cache.js';
import { mediumLabel, type BuildContext } from './build-context.js';
import type { KernelFiles } from './find-kernel.js';
import type { RootKernel } from './root-kernel.js';

export interface LiveInitramfsStageResult {
  kernelVersion: string;
  kernel: string;
  initrd: string;
  initrdBytes: number;
  modules: number;
  /** `zstd -3`, `gzip -6`...: what chooseInitramfsCompression picked from the kernel's config. */
  compression: string;
}

/** What every live initramfs keys on besides its kernel. */
function commonInputs(ctx: BuildContext) {
  const { profile } = ctx.loaded;
  return {
    label: mediumLabel(ctx.loaded),
    liveModules: LIVE_MODULES,
    extraModules: profile.kernel.modules,
    imageType: profile.image.type,
    epoch: ctx.epoch,
  };
}

/**
 * Stage 4: the live-boot initramfs (busybox + the live init + the module closure taken from the
 * root's own kernel) and that kernel, side by side. The compression follows the kernel's config
 * (`/boot/config-V` in the root: zstd where CONFIG_RD_ZSTD=y, gzip when no config is found), and
 * is part of the cache key, so archives of different compressions never share an entry. Made from
 * the root's kernel (`RootKernel`: an apt root's is handed over while the root is still being
 * configured), and keyed on the rootfs stage.
 */
export async function liveInitramfsStage(
  ctx: BuildContext,
  source: RootKernel,
): Promise<StageResult<LiveInitramfsStageResult>> {
  const { kernel } = source;
  const { compress, level, config } = await chooseInitramfsCompression({ root: source.root, version: kernel.version });
  return ctx.cache.run({
    name: 'initramfs',
    inputs: { ...commonInputs(ctx), compress, level },
    upstream: [source.rootfsKey],
    describe: (r) =>
      `${r.modules} modules, ${(r.initrdBytes / 1048576).toFixed(1)} MiB, ${r.compression}${config ? '' : ' (no kernel config found)'}`,
    run: (dir) => buildInitramfs(ctx, dir, kernel, compress, level),
  });
}

async function buildInitramfs(
  ctx: BuildContext,
  dir: string,
  kernel: KernelFiles,
  compress: Parameters<typeof buildLiveInitramfs>[0]['compress'],
  level: number,
): Promise<LiveInitramfsStageResult> {
  const { profile } = ctx.loaded;
  const extraModules = profile.kernel.modules;
  await copyFile(kernel.vmlinuz, join(dir, 'vmlinuz'));
  const result = await buildLiveInitramfs({
    modulesDir: kernel.modulesDir,
    live: {
      label: mediumLabel(ctx.loaded),
      imageType: profile.image.type,
      image: `/live/filesystem.${profile.image.type}`,
      ...liveModuleChoice(extraModules),
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
}

/**
 * The live init's module list for a profile's `kernel.modules`: none, the default list loaded by
 * need (9p, virtiofs and the disk filesystems only on the boots that use them); extra modules, the
 * default list plus them, still by need (the rules name only default modules, so extras always
 * load) — unless the profile names a module of the default list itself: it asked for that module,
 * so every module loads.
 */
export function liveModuleChoice(extraModules: readonly string[]): {
  modules?: string[];
  loadModules?: 'needed' | 'all';
} {
  if (extraModules.length === 0) return {};
  const defaults: readonly string[] = LIVE_MODULES;
  return {
    modules: [...new Set([...LIVE_MODULES, ...extraModules])],
    loadModules: extraModules.some((m) => defaults.includes(m)) ? 'all' : 'needed',
  };
}
