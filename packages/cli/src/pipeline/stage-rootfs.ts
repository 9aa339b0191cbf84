import { join } from 'node:path';
import { bootstrapRootfs } from '@distroforge/rootfs-bootstrap';
import { DistroforgeError } from '@distroforge/core';
import type { StageResult } from '../engine/stage-cache.js';
import type { BuildContext } from './build-context.js';
import { finishRootfs, rootfsIncludes, rootfsProgress, type RootfsStageResult } from './rootfs-common.js';
import { rpmRootfsStage } from './stage-rootfs-rpm.js';

export type { RootfsStageResult } from './rootfs-common.js';

/** Stage 1: the package list becomes a root directory plus manifest (apt or RPM source). */
export async function rootfsStage(ctx: BuildContext): Promise<StageResult<RootfsStageResult>> {
  const { profile } = ctx.loaded;
  if (profile.kernel.file !== undefined) {
    throw new DistroforgeError('ERR_SOURCE_UNSUPPORTED', 'kernel.file (a local kernel package) is not installed yet', {
      value: profile.kernel.file,
      hint: 'publish the kernel package in a repository the source reads, and name it in kernel.package',
    });
  }
  if (profile.extraPackageFiles.length > 0) {
    throw new DistroforgeError('ERR_SOURCE_UNSUPPORTED', 'extraPackageFiles are not installed yet', {
      value: profile.extraPackageFiles,
      hint: 'remove extraPackageFiles from the profile for now',
    });
  }
  if (profile.source.type === 'busybox') throw new DistroforgeError('ERR_SOURCE_UNSUPPORTED', 'a busybox source has no package root', { value: 'busybox' });
  if (profile.source.type !== 'apt') return rpmRootfsStage(ctx, profile.source);
  const source = profile.source;
  const include = rootfsIncludes(ctx.loaded);
  return ctx.cache.run({
    name: 'rootfs',
    inputs: { source, include, epoch: ctx.epoch, root: process.getuid?.() === 0 },
    upstream: [],
    describe: (r) => `${r.packages.length} packages${r.configured ? '' : ' (unpacked only)'}`,
    run: async (dir) => {
      const result = await bootstrapRootfs({
        target: join(dir, 'rootfs'),
        suite: source.suite,
        variant: source.variant,
        include,
        components: source.components,
        ...(source.mirror ? { mirrors: [source.mirror] } : {}),
        ...(source.keyring ? { keyring: source.keyring } : {}),
        logFile: join(dir, 'bootstrap.log'),
        onProgress: rootfsProgress(ctx),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return finishRootfs(dir, result);
    },
  });
}
