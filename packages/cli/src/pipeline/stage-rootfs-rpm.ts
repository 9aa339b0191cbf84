import { isAbsolute, join, resolve } from 'node:path';
import { bootstrapRpmRootfs, resolveRpmRootfs } from '@distroforge/rootfs-bootstrap';
import { locatingUnsatisfiable } from './locate-unsatisfiable.js';
import type { StageResult } from '../engine/stage-cache.js';
import type { Profile } from '../profile/profile-schema.js';
import type { BuildContext } from './build-context.js';
import { finishRootfs, rootfsIncludes, type ProfileLocalPackages, type RootfsStageResult } from './rootfs-common.js';
import { rootfsProgress } from './rootfs-progress.js';
import { rpmMetadataOptions } from './metadata-floor.js';

type RpmSource = Extract<Profile['source'], { type: 'rpm-repo' | 'rpm-dir' | 'rpm-iso' }>;

/** `rpm-dir:/abs/path` etc. for rootfs-bootstrap; relative locations are relative to the profile. */
export function rpmSourceSpec(ctx: BuildContext, source: RpmSource): string {
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(source.location);
  const location = remote || isAbsolute(source.location) ? source.location : resolve(ctx.loaded.dir, source.location);
  return `${source.type}:${location}`;
}

/**
 * Stage 1 for RPM sources (a folder of RPMs, a repository, an ISO): resolved first (cheap: the
 * source's index is cached), so the stage key holds the exact package set and digests and a
 * changed folder or repository invalidates the root (so does a changed local package file: its
 * digest is in the package list); then installed with the packages' scriptlets when running as root.
 */
export async function rpmRootfsStage(
  ctx: BuildContext,
  source: RpmSource,
  local: ProfileLocalPackages,
): Promise<StageResult<RootfsStageResult>> {
  const spec = rpmSourceSpec(ctx, source);
  const include = rootfsIncludes(ctx.loaded);
  const common = {
    source: spec,
    include,
    localPackages: local.files.map((f) => f.file),
    weakDeps: source.weakDeps,
    gpgCheck: source.gpgCheck,
    gpgKeys: source.gpgKeys.map((k) => resolve(ctx.loaded.dir, k)),
    ...rpmMetadataOptions(ctx.metadata, spec),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  const resolved = await locatingUnsatisfiable(ctx.loaded, () => resolveRpmRootfs(common));
  ctx.metadata.floor.recordRevisions(
    resolved.repositories.map((r) => ({
      location: spec,
      revision: 'revision' in r && /^\d+$/.test(String(r.revision)) ? Number(r.revision) : undefined,
    })),
  );
  return ctx.cache.run({
    name: 'rootfs',
    inputs: {
      source: { ...source, location: spec },
      include,
      packages: resolved.packages.map((p) => [p.name, p.version, p.architecture, p.sha256]),
      epoch: ctx.epoch,
      // Scriptlets run in a user namespace whoever builds, so root and non-root share the result;
      // the root carries its rpmdb (roots cached before it was written are not reused), and <lua>
      // scriptlets before the image's rpm run with the host's librpm (roots that skipped them neither).
      scriptlets: 'user-namespace',
      rpmdb: 'auto',
      lua: 'image-rpm-else-host-librpm',
    },
    upstream: [],
    describe: (r) => `${r.packages.length} packages${r.configured ? '' : ' (scriptlets not run)'}`,
    run: async (dir) => {
      const result = await bootstrapRpmRootfs({
        ...common,
        target: join(dir, 'rootfs'),
        scriptlets: true,
        logFile: join(dir, 'bootstrap.log'),
        onProgress: rootfsProgress(ctx.reporter),
      });
      for (const f of result.scriptlets.failures)
        ctx.reporter.say(
          `warning: %${f.scriptlet} of ${f.package} failed: ${f.message} (log: ${result.logFile ?? join(dir, 'bootstrap.log')})`,
        );
      return finishRootfs(dir, local, result);
    },
  });
}
