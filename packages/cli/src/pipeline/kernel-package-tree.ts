import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findTool, knownTools, ToolFailedError } from '@distroforge/core';
import { bootstrapRootfs, defaultCacheDir } from '@distroforge/rootfs-bootstrap';
import { execa } from 'execa';
import type { GraphResults } from '../engine/stage-graph.js';
import { CliError } from '../errors.js';
import type { Profile } from '../profile/profile-schema.js';
import type { BuildContext } from './build-context.js';
import { ensureModuleIndex } from './ensure-module-index.js';
import { findKernel, type KernelFiles } from './find-kernel.js';
import { kernelScratchDir } from './kernel-scratch-dir.js';
import { aptMetadataOptions } from './metadata-floor.js';
import type { ProfileLocalPackages } from './rootfs-common.js';
import type { ResolvedPackageKey } from './resolved-apt-packages.js';

/**
 * The packages of an apt root that carry the kernel it boots: `kernel.file`'s package alone when
 * the profile has one, else `kernel.package` and every `linux-image-*` package of the set (the
 * meta-package's dependency holds the kernel) and `linux-modules-*` (Ubuntu ships the modules and
 * the config apart from the image), debug symbols left out. These are the files the root's own
 * /boot and /lib/modules come from.
 */
export function kernelPackagesOf(
  packages: readonly ResolvedPackageKey[],
  kernelPackage: string,
  localKernel?: string,
): ResolvedPackageKey[] {
  if (localKernel !== undefined) return packages.filter(([name]) => name === localKernel);
  return packages.filter(
    ([name]) =>
      name === kernelPackage ||
      ((name.startsWith('linux-image-') || name.startsWith('linux-modules-')) && !name.endsWith('-dbg')),
  );
}

/**
 * Runs `use` on the kernel of an apt root from its packages alone, so the live initramfs need not
 * wait for the whole root to be installed and configured: the packages are unpacked (dpkg-deb) into
 * a scratch directory (`kernelScratchDir`: a tmpfs when there is room, else under `work`) that is
 * removed afterwards, and the module index written with the host's depmod, as for unpacked-only
 * roots (kmod is in the stage's toolchain key). A package file not yet in the package cache is waited for from the rootfs stage
 * (its downloads come first), else fetched (the root was cached, its files since removed).
 */
export async function withKernelPackages<T>(
  ctx: BuildContext,
  done: GraphResults,
  source: Extract<Profile['source'], { type: 'apt' }>,
  kernelPackages: readonly ResolvedPackageKey[],
  local: ProfileLocalPackages,
  work: string,
  use: (kernel: KernelFiles, tree: string) => Promise<T>,
): Promise<T> {
  const fileOf = ([name, , sha256]: ResolvedPackageKey) =>
    name === local.kernel?.name ? local.kernel.file : join(defaultCacheDir(), 'debs', `${sha256}.deb`);
  const missing = () => kernelPackages.filter((p) => !existsSync(fileOf(p)));
  if (missing().length > 0) await done.after('rootfs');
  if (missing().length > 0) {
    const fetched = join(work, '.kernel-fetch');
    try {
      await bootstrapRootfs({
        target: fetched,
        suite: source.suite,
        variant: 'extract',
        include: missing().map(([name]) => name),
        configure: 'never',
        components: source.components,
        ...(source.mirror ? { mirrors: [source.mirror] } : {}),
        ...(source.keyring ? { keyring: source.keyring } : {}),
        ...aptMetadataOptions(ctx.metadata),
        logFile: join(work, 'kernel-fetch.log'),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } finally {
      await rm(fetched, { recursive: true, force: true });
    }
  }
  const still = missing();
  if (still.length > 0)
    throw new CliError(
      'ERR_KERNEL_MISSING',
      `the kernel package files ${still.map(([name, version]) => `${name} ${version}`).join(', ')} are neither in the package cache nor on the mirror`,
      { path: join(defaultCacheDir(), 'debs'), hint: 'run distroforge lock PROFILE to resolve the packages again' },
    );
  const files = kernelPackages.map(fileOf);
  const tree = await kernelScratchDir(files, join(work, '.kernel-tree'));
  try {
    return await use(await unpackInto(ctx, files, tree), tree);
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

/** The packages' files in `tree`, with the module index the packages leave to their postinst. */
async function unpackInto(ctx: BuildContext, files: readonly string[], tree: string): Promise<KernelFiles> {
  await mkdir(tree, { recursive: true });
  // dpkg-deb in a child process, not rootfs-bootstrap's in-process unpacker: its synchronous file
  // writes would hold this process's event loop (and so the rootfs stage beside it) for the
  // seconds a kernel's hundreds of megabytes take. Files, modes and times are the same.
  const dpkgDeb = await findTool(knownTools.dpkgDeb);
  for (const file of files) {
    const args = ['-x', file, tree];
    const run = await execa(dpkgDeb.path, args, {
      reject: false,
      stdin: 'ignore',
      ...(ctx.signal ? { cancelSignal: ctx.signal } : {}),
    });
    if (run.exitCode !== 0)
      throw new ToolFailedError(
        [dpkgDeb.path, ...args],
        run.exitCode,
        String(run.stderr).split('\n').slice(-5).join('\n'),
      );
  }
  const kernel = await findKernel(tree);
  // Kernel packages leave modules.dep to their postinst.
  await ensureModuleIndex(tree, kernel);
  return kernel;
}
