import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bootstrapRootfs, resolveRootfs } from '@distroforge/rootfs-bootstrap';
import { locatingUnsatisfiable } from './locate-unsatisfiable.js';
import type { StageResult } from '../engine/stage-cache.js';
import type { BuildContext } from './build-context.js';
import { ensureModuleIndex } from './ensure-module-index.js';
import { kernelPackageOf } from '../profile/profile-schema.js';
import { findKernel } from './find-kernel.js';
import { profileLocalPackages } from './rootfs-common.js';
import { resolvedAptPackages } from './resolved-apt-packages.js';
import { aptMetadataOptions } from './metadata-floor.js';

export interface KernelStageResult {
  version: string;
  package: string;
  packageVersion: string;
  /** Relative to the stage directory. */
  vmlinuz: string;
  modulesDir: string;
}

/**
 * For profiles without a package-managed root (busybox source): Debian's kernel package and its
 * dependencies, verified and unpacked (no maintainer scripts); only the kernel and its modules are
 * kept. The apt index and .deb cache are shared with full bootstraps.
 */
export async function kernelStage(ctx: BuildContext): Promise<StageResult<KernelStageResult>> {
  // kernel.file (a local .deb, e.g. a custom kernel) replaces the repository's kernel package.
  const { kernel: kernelFile } = await profileLocalPackages(ctx.loaded);
  const kernelPackage = kernelFile?.name ?? kernelPackageOf(ctx.loaded.profile);
  const suite = 'bookworm';
  const request = { kernelPackage, kernelFile: kernelFile?.sha256 ?? null, suite, epoch: ctx.epoch };
  const include = kernelFile ? [] : [kernelPackage];
  const localPackages = kernelFile ? [kernelFile.file] : [];
  // The resolved packages key the stage: a new kernel on the mirror is picked up.
  const packages = await resolvedAptPackages(
    ctx,
    'kernel',
    request,
    async () =>
      (
        await locatingUnsatisfiable(ctx.loaded, () =>
          resolveRootfs({
            suite,
            variant: 'extract',
            include,
            localPackages,
            ...aptMetadataOptions(ctx.metadata),
          }).then((r) => (ctx.metadata.floor.recordReleases(r.releases), r)),
        )
      ).packages,
  );
  return ctx.cache.run({
    name: 'kernel',
    inputs: { ...request, packages },
    upstream: [],
    describe: (r) => r.version,
    run: async (dir) => {
      const tree = join(dir, 'tree');
      const result = await bootstrapRootfs({
        target: tree,
        suite,
        variant: 'extract',
        include,
        localPackages,
        configure: 'never',
        ...aptMetadataOptions(ctx.metadata),
        logFile: join(dir, 'kernel.log'),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      const kernel = await findKernel(tree);
      await ensureModuleIndex(tree, kernel);
      await mkdir(join(dir, 'boot'));
      await mkdir(join(dir, 'modules'));
      await rename(kernel.vmlinuz, join(dir, 'boot', `vmlinuz-${kernel.version}`));
      await rename(kernel.modulesDir, join(dir, 'modules', kernel.version));
      await rm(tree, { recursive: true, force: true });
      const image =
        result.packages.find((p) => p.name.startsWith('linux-image-') && p.name.endsWith(kernel.version)) ??
        result.packages.find((p) => p.name === kernelPackage);
      return {
        version: kernel.version,
        package: image?.name ?? kernelPackage,
        packageVersion: image?.version ?? 'unknown',
        vmlinuz: join('boot', `vmlinuz-${kernel.version}`),
        modulesDir: join('modules', kernel.version),
      };
    },
  });
}
