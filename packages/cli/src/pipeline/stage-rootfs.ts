import { join } from 'node:path';
import { CliError } from '../errors.js';
import { bootstrapRootfs } from '@distroforge/rootfs-bootstrap';

import type { StageResult } from '../engine/stage-cache.js';
import type { BuildContext } from './build-context.js';
import type { Profile } from '../profile/profile-schema.js';
import { finishRootfs, profileLocalPackages, type RootfsStageResult } from './rootfs-common.js';
import { aptRootfsPlan } from './apt-rootfs-packages.js';
import { rootfsProgress } from './rootfs-progress.js';
import { rpmRootfsStage } from './stage-rootfs-rpm.js';
import { pacmanRootfsStage } from './stage-rootfs-pacman.js';
import { aptMetadataOptions } from './metadata-floor.js';

export type { RootfsStageResult } from './rootfs-common.js';

/** Stage 1: the package list becomes a root directory plus manifest (apt, RPM or pacman source). */
export async function rootfsStage(ctx: BuildContext): Promise<StageResult<RootfsStageResult>> {
  const { profile } = ctx.loaded;
  if (profile.source.type === 'busybox')
    throw new CliError('ERR_SOURCE_UNSUPPORTED', 'a busybox source has no package root', { value: 'busybox' });
  if (profile.source.type === 'pacman' || profile.source.type === 'pacman-dir')
    return pacmanRootfsStage(ctx, profile.source, await profileLocalPackages(ctx.loaded));
  if (profile.source.type !== 'apt') return rpmRootfsStage(ctx, profile.source, await profileLocalPackages(ctx.loaded));
  try {
    return await aptRootfsStage(ctx, profile.source);
  } catch (error) {
    ctx.rootKernel?.fail(error);
    throw error;
  }
}

/** The apt root, handing its kernel to the initramfs stage as soon as it is unpacked (`ctx.rootKernel`). */
async function aptRootfsStage(
  ctx: BuildContext,
  source: Extract<Profile['source'], { type: 'apt' }>,
): Promise<StageResult<RootfsStageResult>> {
  const { request, packages, local } = await aptRootfsPlan(ctx);
  const { include } = request;
  // A custom kernel file's package is the kernel to boot, as findKernel prefers it.
  const kernelPackage = local.kernel?.name;
  const handoff = ctx.rootKernel;
  const result = await ctx.cache.run<RootfsStageResult>({
    name: 'rootfs',
    inputs: { ...request, packages },
    upstream: [],
    describe: (r) => `${r.packages.length} packages${r.configured ? '' : ' (unpacked only)'}`,
    run: async (dir, key) => {
      const result = await bootstrapRootfs({
        target: join(dir, 'rootfs'),
        suite: source.suite,
        variant: source.variant,
        include,
        localPackages: local.files.map((f) => f.file),
        components: source.components,
        recommends: source.recommends,
        ...(source.mirror ? { mirrors: [source.mirror] } : {}),
        ...(source.keyring ? { keyring: source.keyring } : {}),
        ...aptMetadataOptions(ctx.metadata),
        logFile: join(dir, 'bootstrap.log'),
        onProgress: rootfsProgress(ctx.reporter),
        ...(handoff ? { onFilesUnpacked: (root: string) => handoff.copyFrom(root, key, kernelPackage) } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      ctx.metadata.floor.recordReleases(result.releases);
      return finishRootfs(dir, local, result);
    },
  });
  await handoff?.fromRoot(result, kernelPackage);
  return result;
}
