import type { BuildContext } from './build-context.js';
import { profileLocalPackages, rootfsIncludes, type ProfileLocalPackages } from './rootfs-common.js';
import { resolvedAptPackages, type ResolvedPackageKey } from './resolved-apt-packages.js';

/** What an apt source's root is bootstrapped from: the rootfs stage's key inputs, and its local package files. */
export interface AptRootfsPlan {
  request: {
    source: unknown;
    include: string[];
    localPackages: string[];
    epoch: number;
    scripts: 'user-namespace';
  };
  packages: ResolvedPackageKey[];
  local: ProfileLocalPackages;
}

const plans = new WeakMap<BuildContext, Promise<AptRootfsPlan>>();

/**
 * The apt root's package set, resolved once per build: the rootfs stage keys on it, and the live
 * initramfs takes the kernel's packages from it (so both always name the same kernel build).
 */
export function aptRootfsPlan(ctx: BuildContext): Promise<AptRootfsPlan> {
  let plan = plans.get(ctx);
  if (!plan) {
    plan = (async () => {
      const { profile } = ctx.loaded;
      // Local package files are checked (and hashed) before anything is built.
      const local = await profileLocalPackages(ctx.loaded);
      // A changed package file changes its digest, so the root is bootstrapped again; so does a new
      // version on the mirror (the resolved set is part of the key).
      // Maintainer scripts run in a user namespace whoever builds, so root and non-root share the result.
      const request = {
        source: profile.source,
        include: rootfsIncludes(ctx.loaded),
        localPackages: local.files.map((f) => f.sha256),
        epoch: ctx.epoch,
        scripts: 'user-namespace' as const,
      };
      const packages = await resolvedAptPackages(
        ctx,
        'rootfs',
        request,
        async () => (await ctx.resolveLock()).packages,
      );
      return { request, packages, local };
    })();
    plans.set(ctx, plan);
  }
  return plan;
}
