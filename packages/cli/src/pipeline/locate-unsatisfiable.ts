import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PacmanUnsatisfiableError, UnsatisfiableError } from '@distroforge/rootfs-bootstrap';
import { packageListEntries, type LoadedProfile } from '../profile/load-profile.js';
import { profileKeyPosition } from '../profile/profile-key-position.js';
import { kernelPackageOf } from '../profile/profile-schema.js';

/**
 * Runs a resolution; a package the source cannot provide comes back located where the profile
 * asks for it (its packages.txt line, or its profile.yaml entry), with a hint that says whether the
 * name itself or one of its dependencies is missing. Same error class and code, so scripts that
 * match ERR_BOOTSTRAP_UNSATISFIABLE (ERR_PACMAN_UNSATISFIABLE) keep working.
 */
export async function locatingUnsatisfiable<T>(loaded: LoadedProfile, resolve: () => Promise<T>): Promise<T> {
  try {
    return await resolve();
  } catch (error) {
    if (!(error instanceof UnsatisfiableError) && !(error instanceof PacmanUnsatisfiableError)) throw error;
    const requested = error.chain[0];
    const where = requested === undefined ? undefined : await whereRequested(loaded, requested);
    if (where === undefined) throw error;
    const hint =
      error.chain.length === 1
        ? `correct or remove ${requested} there: the profile's source has no package of that name (check the spelling and ${SOURCE_KEYS[loaded.profile.source.type] ?? 'source'})`
        : `${requested} exists, but ${error.chain.at(-1)} (which it needs) cannot be met from the profile's source: add a package that provides it, or drop ${requested}`;
    if (error instanceof PacmanUnsatisfiableError)
      throw new PacmanUnsatisfiableError(error.chain, error.reason, { path: where, hint, cause: error });
    throw new UnsatisfiableError(error.chain, error.reason, { path: where, hint, cause: error });
  }
}

/** The profile keys that decide what a source offers. */
const SOURCE_KEYS: Partial<Record<LoadedProfile['profile']['source']['type'], string>> = {
  apt: 'source.suite and source.components',
  'rpm-dir': 'source.location',
  'rpm-repo': 'source.location',
  'rpm-iso': 'source.location',
  pacman: 'source.mirror and source.repos',
  'pacman-dir': 'source.location',
};

/** `file:line:column` of the request for `name`: packages.txt first, then profile.yaml's packages and kernel. */
async function whereRequested(loaded: LoadedProfile, name: string): Promise<string | undefined> {
  const packagesFile = join(loaded.dir, 'packages.txt');
  const text = await readFile(packagesFile, 'utf8').catch(() => '');
  const listed = packageListEntries(text, packagesFile).find((entry) => entry.name === name);
  if (listed) return `${packagesFile}:${listed.line}:1`;
  const index = loaded.profile.packages.indexOf(name);
  const key =
    index >= 0
      ? ['packages', String(index)]
      : name === kernelPackageOf(loaded.profile)
        ? ['kernel', 'package']
        : undefined;
  if (key === undefined) return undefined;
  const pos = await profileKeyPosition(loaded, key);
  return pos === undefined ? loaded.profileFile : `${loaded.profileFile}:${pos.line}:${pos.col}`;
}
