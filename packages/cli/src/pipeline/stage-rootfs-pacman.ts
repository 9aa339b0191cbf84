import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bootstrapPacman, loadPacmanKeyring, pacmanSignatureVerifier, resolvePacmanRootfs, type PacmanRepository, type PacmanRootfsResolution, type PacmanVerify } from '@distroforge/rootfs-bootstrap';
import type { LoadedProfile } from '../profile/loaded-profile.js';
import type { StageResult } from '../engine/stage-cache.js';
import type { Profile } from '../profile/profile-schema.js';
import type { BuildContext } from './build-context.js';
import { locatingUnsatisfiable } from './locate-unsatisfiable.js';
import { finishRootfs, rootfsIncludes, type ProfileLocalPackages, type RootfsStageResult } from './rootfs-common.js';
import { rootfsProgress } from './rootfs-progress.js';

export type PacmanSource = Extract<Profile['source'], { type: 'pacman' | 'pacman-dir' }>;

/** Where Debian's archlinux-keyring puts Arch's keyring (archlinux.gpg, -trusted, -revoked). */
export const DEFAULT_PACMAN_KEYRING = '/usr/share/keyrings';

/**
 * The repositories of a pacman source, in pacman.conf order: each of `repos` on the mirror (its
 * `$repo` and `$arch` substituted; a plain path is a file:// mirror relative to the profile), or
 * the one folder of a pacman-dir source (its repository named after its NAME.db, else the folder).
 */
export function pacmanRepositories(profileDir: string, source: PacmanSource): PacmanRepository[] {
  if (source.type === 'pacman') {
    const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(source.mirror);
    const server = remote ? source.mirror : pathToFileURL(resolve(profileDir, source.mirror)).href.replace(/%24(repo|arch)/g, '$$$1');
    return source.repos.map((name) => ({ name, server }));
  }
  const folder = isAbsolute(source.location) ? source.location : resolve(profileDir, source.location);
  return [{ name: folderRepositoryName(folder), folder }];
}

/** A package folder's repository: the name of its one `NAME.db` (repo-add's), else the folder's own name. */
function folderRepositoryName(folder: string): string {
  const databases = existsSync(folder) ? readdirSync(folder).filter((n) => /^[A-Za-z0-9][A-Za-z0-9._+-]*\.db$/.test(n)) : [];
  if (databases.length === 1) return databases[0]!.slice(0, -'.db'.length);
  const base = folder.replace(/\/+$/, '').split('/').at(-1) ?? '';
  return base.replace(/[^A-Za-z0-9._+-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'local';
}

/**
 * Stage 1 for pacman sources (an Arch mirror, a folder of packages): resolved first (the sync
 * databases are small), so the stage key holds the exact package set and digests; then installed
 * by rootfs-bootstrap without pacman: every package checked against its database's SHA-256 and,
 * unless `sigLevel: off`, its signature against the keyring with pacman's trust rule; `.INSTALL`
 * functions and alpm hooks run in the image root in a user namespace, as root or not.
 */
export async function pacmanRootfsStage(ctx: BuildContext, source: PacmanSource, local: ProfileLocalPackages): Promise<StageResult<RootfsStageResult>> {
  return withPacmanPlan(ctx.loaded, source, local, (plan) => pacmanStage(ctx, source, local, plan));
}

/** What a pacman profile installs from: its repositories (the local files' first), targets and keyring. */
export interface PacmanPlan {
  repositories: PacmanRepository[];
  /** The source's repositories alone (stable: part of the stage key). */
  sourceRepositories: PacmanRepository[];
  architecture: string;
  include: string[];
  keyringDir: string;
}

/**
 * Runs `body` with the plan of a pacman profile. Local package files (extraPackageFiles,
 * kernel.file) are installed whether asked for or not, from a repository of their own listed first
 * (a temporary folder of links, removed afterwards), so each wins over the source's package of its name.
 */
export async function withPacmanPlan<T>(loaded: LoadedProfile, source: PacmanSource, local: ProfileLocalPackages, body: (plan: PacmanPlan) => Promise<T>): Promise<T> {
  const sourceRepositories = pacmanRepositories(loaded.dir, source);
  const architecture = source.type === 'pacman' ? source.arch : 'x86_64';
  const include = [...new Set([...rootfsIncludes(loaded), ...local.files.map((f) => f.name)])].sort();
  const keyringDir = source.keyring === undefined ? DEFAULT_PACMAN_KEYRING : resolve(loaded.dir, source.keyring);
  const localFolder = local.files.length > 0 ? await localPackageFolder(local) : undefined;
  const repositories = [...(localFolder ? [{ name: LOCAL_REPOSITORY, folder: localFolder }] : []), ...sourceRepositories];
  try {
    return await body({ repositories, sourceRepositories, architecture, include, keyringDir });
  } finally {
    if (localFolder) await rm(localFolder, { recursive: true, force: true });
  }
}

/** The packages a pacman profile resolves to now (sync databases read, nothing fetched), located in the profile when one cannot be. */
export async function resolvePacmanProfile(loaded: LoadedProfile, plan: PacmanPlan, signal?: AbortSignal): Promise<PacmanRootfsResolution> {
  return locatingUnsatisfiable(loaded, () => resolvePacmanRootfs({ repositories: plan.repositories, include: plan.include, architecture: plan.architecture, ...(signal ? { signal } : {}) }));
}

/** The repository name of a profile's local package files (pacman reserves `local` for its own database). */
const LOCAL_REPOSITORY = 'profile';

/** A folder of links to the local package files, named as repo-add would list them. */
async function localPackageFolder(local: ProfileLocalPackages): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'distroforge-pacman-local-'));
  for (const f of local.files) await symlink(f.file, join(folder, `${f.name}-${f.version}-${f.architecture}.pkg.tar`));
  return folder;
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
      source: { ...source, repositories: plan.sourceRepositories, ...(source.sigLevel === 'off' ? {} : { keyring: keyringDir }) },
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
      const verify = source.sigLevel === 'off' ? undefined : await signatureCheck(keyringDir, source.sigLevel, ctx.signal);
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
        packages: result.packages.map((p) => ({ name: p.name, version: p.version, architecture: architectures.get(p.name) ?? 'any', sha256: p.sha256 })),
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
async function signatureCheck(keyringDir: string, level: 'optional' | 'required', signal: AbortSignal | undefined): Promise<PacmanVerify> {
  const keyring = await loadPacmanKeyring(keyringDir);
  const repositoryCheck = pacmanSignatureVerifier(keyring, { level, ...(signal ? { signal } : {}) });
  const localCheck = pacmanSignatureVerifier(keyring, { level: 'optional', ...(signal ? { signal } : {}) });
  return (request) => (request.repository === LOCAL_REPOSITORY ? localCheck(request) : repositoryCheck(request));
}
