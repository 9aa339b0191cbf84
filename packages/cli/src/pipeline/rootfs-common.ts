import { join } from 'node:path';
import { writeManifest, type Manifest } from '@distroforge/core';
import type { BootstrapProgress } from '@distroforge/rootfs-bootstrap';
import type { LoadedProfile } from '../profile/load-profile.js';
import { kernelPackageOf } from '../profile/profile-schema.js';
import type { BuildContext } from './build-context.js';
import { ensureModuleIndex } from './ensure-module-index.js';
import { findKernel } from './find-kernel.js';

/** What the rootfs stage records, whichever source installed the packages. */
export interface RootfsStageResult {
  packages: { name: string; version: string; architecture: string; sha256: string }[];
  configured: boolean;
  skippedReason?: string;
  bootstrapMs: number;
}

/** The packages a profile's root is made of: packages.txt, `packages:` and the kernel, sorted once. */
export function rootfsIncludes(loaded: LoadedProfile): string[] {
  return [...new Set([...loaded.packages, kernelPackageOf(loaded.profile)])].sort();
}

/** Turns rootfs-bootstrap's progress events (apt or RPM) into the rootfs stage's progress line. */
export function rootfsProgress(ctx: BuildContext): (event: BootstrapProgress) => void {
  return (e) => {
    if (e.phase === 'download') ctx.reporter.emit({ type: 'progress', stage: 'rootfs', done: e.done, total: e.total, bytes: e.bytes, totalBytes: e.totalBytes, message: `download ${e.name}` });
    else if (e.phase === 'unpack') ctx.reporter.emit({ type: 'progress', stage: 'rootfs', done: e.done, total: e.total, message: `unpack ${e.name}` });
    else if (e.phase === 'configure') ctx.reporter.emit({ type: 'progress', stage: 'rootfs', message: `configure: ${e.step}` });
  };
}

/**
 * The end of every rootfs stage: the module index the live initramfs needs (unpacked-only roots
 * lack modules.dep), the manifest beside the tree, and the stage's summary.
 */
export async function finishRootfs(
  dir: string,
  result: { manifest: Manifest; packages: readonly { name: string; version: string; architecture: string; sha256: string }[]; configured: boolean; skippedReason?: string | undefined; timings: { totalMs: number } },
): Promise<RootfsStageResult> {
  await ensureModuleIndex(join(dir, 'rootfs'), await findKernel(join(dir, 'rootfs')));
  await writeManifest(join(dir, 'manifest.json'), result.manifest);
  return {
    packages: result.packages.map((p) => ({ name: p.name, version: p.version, architecture: p.architecture, sha256: p.sha256 })),
    configured: result.configured,
    ...(result.skippedReason ? { skippedReason: result.skippedReason } : {}),
    bootstrapMs: Math.round(result.timings.totalMs),
  };
}
