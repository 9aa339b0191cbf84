import { join } from 'node:path';
import { writeManifest } from '@distroforge/core';
import { bootstrapRootfs } from '@distroforge/rootfs-bootstrap';
import { DistroforgeError } from '@distroforge/core';
import type { StageResult } from '../engine/stage-cache.js';
import { hashFile } from '../engine/hash-tree.js';
import type { BuildContext } from './build-context.js';
import { ensureModuleIndex } from './ensure-module-index.js';
import { kernelPackageOf } from '../profile/profile-schema.js';
import { findKernel } from './find-kernel.js';
import { rpmRootfsStage } from './stage-rootfs-rpm.js';

export interface RootfsStageResult {
  packages: { name: string; version: string; architecture: string; sha256: string }[];
  configured: boolean;
  skippedReason?: string;
  bootstrapMs: number;
}

/** Stage 1: the package list becomes a root directory plus manifest (apt or RPM source). */
export async function rootfsStage(ctx: BuildContext): Promise<StageResult<RootfsStageResult>> {
  const { profile, packages } = ctx.loaded;
  if (profile.kernel.file !== undefined) {
    throw new DistroforgeError('ERR_SOURCE_UNSUPPORTED', 'kernel.file (a local kernel package) is not installed yet', {
      value: profile.kernel.file,
      hint: 'publish the kernel package in a repository the source reads, and name it in kernel.package',
    });
  }
  if (profile.source.type === 'busybox') throw new DistroforgeError('ERR_SOURCE_UNSUPPORTED', 'a busybox source has no package root', { value: 'busybox' });
  if (profile.source.type !== 'apt') return rpmRootfsStage(ctx);
  const source = profile.source;
  const include = [...new Set([...packages, kernelPackageOf(profile)])].sort();
  const extraFiles = await Promise.all(profile.extraPackageFiles.map(async (f) => ({ file: f, sha256: await hashFile(join(ctx.loaded.dir, f)) })));
  if (extraFiles.length > 0) {
    throw new DistroforgeError('ERR_SOURCE_UNSUPPORTED', 'extraPackageFiles are not installed by the apt source yet', {
      value: profile.extraPackageFiles,
      hint: 'remove extraPackageFiles from the profile for now',
    });
  }
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
        onProgress: (e) => {
          if (e.phase === 'download') ctx.reporter.emit({ type: 'progress', stage: 'rootfs', done: e.done, total: e.total, bytes: e.bytes, totalBytes: e.totalBytes, message: `download ${e.name}` });
          else if (e.phase === 'unpack') ctx.reporter.emit({ type: 'progress', stage: 'rootfs', done: e.done, total: e.total, message: `unpack ${e.name}` });
          else if (e.phase === 'configure') ctx.reporter.emit({ type: 'progress', stage: 'rootfs', message: `configure: ${e.step}` });
        },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      // Unpacked-only (non-root) roots lack modules.dep: the live initramfs needs it.
      await ensureModuleIndex(join(dir, 'rootfs'), await findKernel(join(dir, 'rootfs')));
      await writeManifest(join(dir, 'manifest.json'), result.manifest);
      return {
        packages: result.packages.map((p) => ({ name: p.name, version: p.version, architecture: p.architecture, sha256: p.sha256 })),
        configured: result.configured,
        ...(result.skippedReason ? { skippedReason: result.skippedReason } : {}),
        bootstrapMs: Math.round(result.timings.totalMs),
      };
    },
  });
}
