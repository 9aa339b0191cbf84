import { join } from 'node:path';
import { CliError } from '../errors.js';
import { bootstrapRootfs } from '@distroforge/rootfs-bootstrap';

import type { StageResult } from '../engine/stage-cache.js';
import type { BuildContext } from './build-context.js';
import { finishRootfs, profileLocalPackages, rootfsIncludes, type RootfsStageResult } from './rootfs-common.js';
import { rootfsProgress } from './rootfs-progress.js';
import { rpmRootfsStage } from './stage-rootfs-rpm.js';
import { pacmanRootfsStage } from './stage-rootfs-pacman.js';
import { resolvedAptPackages } from './resolved-apt-packages.js';
import { aptMetadataOptions } from './metadata-floor.js';

export type { RootfsStageResult } from './rootfs-common.js';

/** Stage 1: the package list becomes a root directory plus manifest (apt, RPM or pacman source). */
export async function rootfsStage(ctx: BuildContext): Promise<StageResult<RootfsStageResult>> {
  const { profile } = ctx.loaded;
  if (profile.source.type === 'busybox')
    throw new CliError('ERR_SOURCE_UNSUPPORTED', 'a busybox source has no package root', { value: 'busybox' });
  // Local package files are checked (and hashed) before anything is built.
  const local = await profileLocalPackages(ctx.loaded);
  if (profile.source.type === 'pacman' || profile.source.type === 'pacman-dir')
    return pacmanRootfsStage(ctx, profile.source, local);
  if (profile.source.type !== 'apt') return rpmRootfsStage(ctx, profile.source, local);
  const source = profile.source;
  const include = rootfsIncludes(ctx.loaded);
  // A changed package file changes its digest, so the root is bootstrapped again; so does a new
  // version on the mirror (the resolved set is part of the key).
  // Maintainer scripts run in a user namespace whoever builds, so root and non-root share the result.
  const request = {
    source,
    include,
    localPackages: local.files.map((f) => f.sha256),
    epoch: ctx.epoch,
    scripts: 'user-namespace',
  };
  const packages = await resolvedAptPackages(ctx, 'rootfs', request, async () => (await ctx.resolveLock()).packages);
  return ctx.cache.run({
    name: 'rootfs',
    inputs: { ...request, packages },
    upstream: [],
    describe: (r) => `${r.packages.length} packages${r.configured ? '' : ' (unpacked only)'}`,
    run: async (dir) => {
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
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      ctx.metadata.floor.recordReleases(result.releases);
      return finishRootfs(dir, local, result);
    },
  });
}
