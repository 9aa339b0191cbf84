import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bootstrapPacman, loadPacmanKeyring, pacmanSignatureVerifier, resolvePacmanRootfs, type PacmanRepository } from '@distroforge/rootfs-bootstrap';
import type { StageResult } from '../engine/stage-cache.js';
import { CliError } from '../errors.js';
import type { Profile } from '../profile/profile-schema.js';
import type { BuildContext } from './build-context.js';
import { locatingUnsatisfiable } from './locate-unsatisfiable.js';
import { finishRootfs, rootfsIncludes, type ProfileLocalPackages, type RootfsStageResult } from './rootfs-common.js';
import { rootfsProgress } from './rootfs-progress.js';

type PacmanSource = Extract<Profile['source'], { type: 'pacman' | 'pacman-dir' }>;

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
  if (local.files.length > 0) {
    throw new CliError('ERR_SOURCE_UNSUPPORTED', `local package files (extraPackageFiles, kernel.file) are not installed from a ${source.type} source yet`, {
      value: local.files.map((f) => f.file),
      hint: 'put the .pkg.tar.* files in a folder and use it as a pacman-dir source, or remove extraPackageFiles and kernel.file',
    });
  }
  const repositories = pacmanRepositories(ctx.loaded.dir, source);
  const architecture = source.type === 'pacman' ? source.arch : 'x86_64';
  const include = rootfsIncludes(ctx.loaded);
  const keyringDir = source.keyring === undefined ? DEFAULT_PACMAN_KEYRING : resolve(ctx.loaded.dir, source.keyring);
  const resolved = await locatingUnsatisfiable(ctx.loaded, () => resolvePacmanRootfs({ repositories, include, architecture, ...(ctx.signal ? { signal: ctx.signal } : {}) }));
  return ctx.cache.run({
    name: 'rootfs',
    inputs: {
      source: { ...source, repositories, ...(source.sigLevel === 'off' ? {} : { keyring: keyringDir }) },
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
      // The keyring is read only when the signatures are checked (a cached root needs neither).
      const verify = source.sigLevel === 'off' ? undefined : pacmanSignatureVerifier(await loadPacmanKeyring(keyringDir), { level: source.sigLevel, ...(ctx.signal ? { signal: ctx.signal } : {}) });
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
