import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolvePacmanRootfs, type PacmanRepository, type PacmanRootfsResolution } from '@distroforge/rootfs-bootstrap';
import type { LoadedProfile } from '../profile/loaded-profile.js';
import type { Profile } from '../profile/profile-schema.js';
import { locatingUnsatisfiable } from './locate-unsatisfiable.js';
import { rootfsIncludes, type ProfileLocalPackages } from './rootfs-common.js';

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
    const server = remote
      ? source.mirror
      : pathToFileURL(resolve(profileDir, source.mirror)).href.replace(/%24(repo|arch)/g, '$$$1');
    return source.repos.map((name) => ({ name, server }));
  }
  const folder = isAbsolute(source.location) ? source.location : resolve(profileDir, source.location);
  return [{ name: folderRepositoryName(folder), folder }];
}

/** A package folder's repository: the name of its one `NAME.db` (repo-add's), else the folder's own name. */
function folderRepositoryName(folder: string): string {
  const databases = existsSync(folder)
    ? readdirSync(folder).filter((n) => /^[A-Za-z0-9][A-Za-z0-9._+-]*\.db$/.test(n))
    : [];
  if (databases.length === 1) return databases[0]!.slice(0, -'.db'.length);
  const base = folder.replace(/\/+$/, '').split('/').at(-1) ?? '';
  return base.replace(/[^A-Za-z0-9._+-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'local';
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
export async function withPacmanPlan<T>(
  loaded: LoadedProfile,
  source: PacmanSource,
  local: ProfileLocalPackages,
  body: (plan: PacmanPlan) => Promise<T>,
): Promise<T> {
  const sourceRepositories = pacmanRepositories(loaded.dir, source);
  const architecture = source.type === 'pacman' ? source.arch : 'x86_64';
  const include = [...new Set([...rootfsIncludes(loaded), ...local.files.map((f) => f.name)])].sort();
  const keyringDir = source.keyring === undefined ? DEFAULT_PACMAN_KEYRING : resolve(loaded.dir, source.keyring);
  const localFolder = local.files.length > 0 ? await localPackageFolder(local) : undefined;
  const repositories = [
    ...(localFolder ? [{ name: LOCAL_REPOSITORY, folder: localFolder }] : []),
    ...sourceRepositories,
  ];
  try {
    return await body({ repositories, sourceRepositories, architecture, include, keyringDir });
  } finally {
    if (localFolder) await rm(localFolder, { recursive: true, force: true });
  }
}

/** The packages a pacman profile resolves to now (sync databases read, nothing fetched), located in the profile when one cannot be. */
export async function resolvePacmanProfile(
  loaded: LoadedProfile,
  plan: PacmanPlan,
  signal?: AbortSignal,
): Promise<PacmanRootfsResolution> {
  return locatingUnsatisfiable(loaded, () =>
    resolvePacmanRootfs({
      repositories: plan.repositories,
      include: plan.include,
      architecture: plan.architecture,
      ...(signal ? { signal } : {}),
    }),
  );
}

/** The repository name of a profile's local package files (pacman reserves `local` for its own database). */
export const LOCAL_REPOSITORY = 'profile';

/** A folder of links to the local package files, named as repo-add would list them. */
async function localPackageFolder(local: ProfileLocalPackages): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'distroforge-pacman-local-'));
  for (const f of local.files) await symlink(f.file, join(folder, `${f.name}-${f.version}-${f.architecture}.pkg.tar`));
  return folder;
}
