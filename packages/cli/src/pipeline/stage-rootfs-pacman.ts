import { join } from 'node:path';
import {
  bootstrapPacman,
  loadPacmanKeyring,
  pacmanSignatureVerifier,
  type PacmanVerify,
} from '@distroforge/rootfs-bootstrap';
import type { StageResult } from '../engine/stage-cache.js';
import type { BuildContext } from './build-context.js';
import {
  LOCAL_REPOSITORY,
  resolvePacmanProfile,
  withPacmanPlan,
  type PacmanPlan,
  type PacmanSource,
} from './pacman-plan.js';
import { finishRootfs, type ProfileLocalPackages, type RootfsStageResult } from './rootfs-common.js';
import { rootfsProgress } from './rootfs-progress.js';

/**
 * Stage 1 for pacman sources (an Arch mirror, a folder of packages): resolved first (the sync
 * databases are small), so the stage key holds the exact package set and digests; then installed
 * by rootfs-bootstrap without pacman: every package checked against its database's SHA-256 and,
 * unless `sigLevel: off`, its signature against the keyring with pacman's trust rule; `.INSTALL`
 * functions and alpm hooks run in the image root in a user namespace, as root or not.
 */
export async function pacmanRootfsStage(
  ctx: BuildContext,
  source: PacmanSource,
  local: ProfileLocalPackages,
): Promise<StageResult<RootfsStageResult>> {
  return withPacmanPlan(ctx.loaded, source, local, (plan) => pacmanStage(ctx, source, local, plan));
}

async function pacmanStage(
  ctx: BuildContext,
  source: PacmanSource,
  local: ProfileLocalPackages,
  plan: PacmanPlan,
): Promise<StageResult<RootfsStageResult>> {
  const { repositories, architecture, include, keyringDir } = plan;
  const resolved = await resolvePacmanProfile(ctx.loaded, plan, ctx.signal);
  return ctx.cache.run({
    name: 'rootfs',
    inputs: {
      // The local folder is a temporary one: the files' digests (in the package list) key them.
      source: {
        ...source,
        repositories: plan.sourceRepositories,
        ...(source.sigLevel === 'off' ? {} : { keyring: keyringDir }),
      },
      localPackages: local.files.map((f) => f.sha256),
      include,
      packages: resolved.packages.map((p) => [p.name, p.version, p.architecture, p.sha256]),
      epoch: ctx.epoch,
      // .INSTALL functions and hooks run in a user namespace whoever builds: one result for both.
      scripts: 'user-namespace',
    },
    upstream: [],
    describe: (r) => `${r.packages.length} packages`,
    run: async (dir) => {
      const started = performance.now();
      const verify =
        source.sigLevel === 'off' ? undefined : await signatureCheck(keyringDir, source.sigLevel, ctx.signal);
      const result = await bootstrapPacman({
        repositories,
        include,
        architecture,
        target: join(dir, 'rootfs'),
        scripts: true,
        logFile: join(dir, 'bootstrap.log'),
        onProgress: rootfsProgress(ctx.reporter),
        ...(verify ? { verify } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      const architectures = new Map(resolved.packages.map((p) => [p.name, p.architecture]));
      return finishRootfs(dir, local, {
        manifest: result.manifest,
        packages: result.packages.map((p) => ({
          name: p.name,
          version: p.version,
          architecture: architectures.get(p.name) ?? 'any',
          sha256: p.sha256,
        })),
        configured: true,
        timings: { totalMs: performance.now() - started },
      });
    },
  });
}

/**
 * The signature check of a build: the source's packages at its `sigLevel`, the profile's own files
 * at `optional` (pacman's LocalFileSigLevel: a signature is checked when there is one). The keyring
 * is read only when a root is built (a cached one needs none).
 */
async function signatureCheck(
  keyringDir: string,
  level: 'optional' | 'required',
  signal: AbortSignal | undefined,
): Promise<PacmanVerify> {
  const keyring = await loadPacmanKeyring(keyringDir);
  const repositoryCheck = pacmanSignatureVerifier(keyring, { level, ...(signal ? { signal } : {}) });
  const localCheck = pacmanSignatureVerifier(keyring, { level: 'optional', ...(signal ? { signal } : {}) });
  return (request) => (request.repository === LOCAL_REPOSITORY ? localCheck(request) : repositoryCheck(request));
}
