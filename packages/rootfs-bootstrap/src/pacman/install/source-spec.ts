import { readdir, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { BootstrapOptionsError } from '../../errors.js';
import type { PacmanRepository } from './options.js';

/** A pacman source as the bin takes it: `pacman:URL` (a mirror URL with `$repo`/`$arch`) or `pacman-dir:PATH`. */
export type PacmanSourceSpec = { kind: 'pacman'; url: string } | { kind: 'pacman-dir'; folder: string };

/** Whether `spec` names a pacman source (`pacman:` or `pacman-dir:`). */
export function isPacmanSourceSpec(spec: string): boolean {
  return /^pacman(-dir)?:/.test(spec);
}

/** Parses `pacman:URL` or `pacman-dir:PATH` (ERR_BOOTSTRAP_OPTIONS otherwise). */
export function parsePacmanSourceSpec(spec: string): PacmanSourceSpec {
  const m = /^(pacman|pacman-dir):(.+)$/.exec(spec);
  if (!m?.[2]) {
    throw new BootstrapOptionsError(`source ${JSON.stringify(spec)}: expected pacman:URL or pacman-dir:PATH`, {
      value: spec,
      hint: "--source 'pacman:https://geo.mirror.pkgbuild.com/$repo/os/$arch' --repos core,extra, or --source pacman-dir:/srv/packages",
    });
  }
  return m[1] === 'pacman' ? { kind: 'pacman', url: m[2] } : { kind: 'pacman-dir', folder: m[2] };
}

/**
 * The repositories of a pacman source: `pacman:URL` with the named repositories (in pacman.conf
 * order), or a folder, named by its `NAME.db` when it has one, else by its basename.
 */
export async function pacmanSourceRepositories(
  spec: PacmanSourceSpec,
  repos: readonly string[],
): Promise<PacmanRepository[]> {
  if (spec.kind === 'pacman') return repos.map((name) => ({ name, server: spec.url }));
  const folder = resolve(spec.folder);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new BootstrapOptionsError(`pacman-dir:${spec.folder}: not a folder`, {
      value: spec.folder,
      hint: 'pacman-dir:PATH names a folder of .pkg.tar.* files (with or without its NAME.db)',
    });
  }
  const databases = (await readdir(folder)).filter((n) => /^[A-Za-z0-9][A-Za-z0-9._+-]*\.db$/.test(n)).sort();
  if (databases.length > 1) {
    throw new BootstrapOptionsError(`pacman-dir:${spec.folder} holds several databases (${databases.join(', ')})`, {
      value: spec.folder,
      hint: "keep one NAME.db in the folder, or serve it as --source 'pacman:file:///PATH' --repos NAME,...",
    });
  }
  const name = databases[0]?.slice(0, -'.db'.length) ?? basename(folder);
  return [{ name, folder }];
}
