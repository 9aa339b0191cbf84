import { isAbsolute, join, resolve } from 'node:path';
import { DistroforgeError, writeManifest } from '@distroforge/core';
import { bootstrapRpmRootfs, resolveRpmRootfs } from '@distroforge/rootfs-bootstrap';
import type { StageResult } from '../engine/stage-cache.js';
import { kernelPackageOf } from '../profile/profile-schema.js';
import type { BuildContext } from './build-context.js';
import { ensureModuleIndex } from './ensure-module-index.js';
import { findKernel } from './find-kernel.js';
import type { RootfsStageResult } from './stage-rootfs.js';

/** `rpm-dir:/abs/path` etc. for rootfs-bootstrap; relative locations are relative to the profile. */
export function rpmSourceSpec(ctx: BuildContext): string {
  const { source } = ctx.loaded.profile;
  if (source.type === 'apt' || source.type === 'busybox') throw new DistroforgeError('ERR_SOURCE_UNSUPPORTED', `${source.type} is not an RPM source`, { value: source.type });
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(source.location);
  const location = remote || isAbsolute(source.location) ? source.location : resolve(ctx.loaded.dir, source.location);
  return `${source.type}:${location}`;
}

/**
 * Stage 1 for RPM sources (a folder of RPMs, a repository, an ISO): resolved first (cheap: the
 * source's index is cached), so the stage key holds the exact package set and digests and a
 * changed folder or repository invalidates the root; then installed with the packages' scriptlets
 * when running as root.
 */
export async function rpmRootfsStage(ctx: BuildContext): Promise<StageResult<RootfsStageResult>> {
  const { profile, packages } = ctx.loaded;
  const source = profile.source;
  if (source.type === 'apt' || source.type === 'busybox') throw new DistroforgeError('ERR_SOURCE_UNSUPPORTED', `${source.type} is not an RPM source`, { value: source.type });
  const spec = rpmSourceSpec(ctx);
  const include = [...new Set([...packages, kernelPackageOf(profile)])].sort();
  const common = {
    source: spec,
    include,
    weakDeps: source.weakDeps,
    gpgCheck: source.gpgCheck,
    gpgKeys: source.gpgKeys.map((k) => resolve(ctx.loaded.dir, k)),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  const resolved = await resolveRpmRootfs(common);
  const root = process.getuid?.() === 0;
  return ctx.cache.run({
    name: 'rootfs',
    inputs: {
      source: { ...source, location: spec },
      include,
      packages: resolved.packages.map((p) => [p.name, p.version, p.architecture, p.sha256]),
      epoch: ctx.epoch,
      root,
    },
    upstream: [],
    describe: (r) => `${r.packages.length} packages${r.configured ? '' : ' (scriptlets not run)'}`,
    run: async (dir) => {
      const result = await bootstrapRpmRootfs({
        ...common,
        target: join(dir, 'rootfs'),
        scriptlets: root,
        logFile: join(dir, 'bootstrap.log'),
        onProgress: (e) => {
          if (e.phase === 'download') ctx.reporter.emit({ type: 'progress', stage: 'rootfs', done: e.done, total: e.total, bytes: e.bytes, totalBytes: e.totalBytes, message: `download ${e.name}` });
          else if (e.phase === 'unpack') ctx.reporter.emit({ type: 'progress', stage: 'rootfs', done: e.done, total: e.total, message: `unpack ${e.name}` });
        },
      });
      for (const f of result.scriptlets.failures) ctx.reporter.say(`warning: %${f.scriptlet} of ${f.package} failed: ${f.message} (log: ${result.logFile ?? join(dir, 'bootstrap.log')})`);
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
