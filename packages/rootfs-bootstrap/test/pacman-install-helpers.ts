import { manifestLookup, type Manifest } from '@distroforge/core';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The request both installs make: an .INSTALL script, hooks, versioned dependencies, three compressions. */
export const INSTALL_REQUEST = ['accounts', 'hooked', 'app'];

/** A tree as `path -> type mode uid:gid [link target | sha256]`, the pacman database left out. */
export function treeSnapshot(
  root: string,
  ownerOf: (path: string, stats: { uid: number; gid: number }) => { uid: number; gid: number },
  options: { times?: boolean; database?: boolean } = {},
): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (relative: string) => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      if (path === 'var/lib/pacman' && !options.database) continue;
      const host = join(root, path);
      const stats = lstatSync(host);
      const { uid, gid } = ownerOf(path, stats);
      const type = stats.isSymbolicLink() ? 'link' : stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : 'other';
      const detail =
        type === 'link'
          ? readlinkSync(host)
          : type === 'file'
            ? createHash('sha256').update(readFileSync(host)).digest('hex')
            : '';
      out.set(
        path,
        `${type} ${type === 'link' ? '' : (stats.mode & 0o7777).toString(8)} ${uid}:${gid} ${detail}${options.times ? ` @${Math.floor(stats.mtimeMs / 1000)}` : ''}`.trim(),
      );
      if (type === 'dir') walk(path);
    }
  };
  walk('');
  return out;
}

/** Owners as the manifest states them (root's when it says nothing). */
export function manifestOwners(manifest: Manifest): (path: string) => { uid: number; gid: number } {
  const lookup = manifestLookup(manifest);
  return (path) => {
    const entry = lookup(`/${path}`);
    return { uid: entry?.uid ?? 0, gid: entry?.gid ?? 0 };
  };
}

/** Every file of every local database entry, INSTALLDATE left out. */
export function localDatabase(dbpath: string): Record<string, string> {
  const out: Record<string, string> = {};
  const local = join(dbpath, 'local');
  for (const folder of readdirSync(local).sort()) {
    const stats = lstatSync(join(local, folder));
    if (!stats.isDirectory()) {
      out[folder] = readFileSync(join(local, folder), 'utf8');
      continue;
    }
    out[`${folder}/`] = (stats.mode & 0o777).toString(8);
    for (const file of readdirSync(join(local, folder)).sort()) {
      const data = readFileSync(join(local, folder, file));
      const mode = (lstatSync(join(local, folder, file)).mode & 0o777).toString(8);
      const text =
        file === 'mtree'
          ? createHash('sha256').update(data).digest('hex')
          : data.toString('utf8').replace(/%INSTALLDATE%\n\d+\n/, '%INSTALLDATE%\nX\n');
      out[`${folder}/${file}`] = `${mode}\n${text}`;
    }
  }
  return out;
}

/** Debian's pacman installing `targets` from `config`'s repositories into a fresh root, the image's /etc/pacman.d/hooks as HookDir (as pacstrap runs it). */
export function pacmanInstall(
  repositoryConfig: string,
  targets: readonly string[],
): { dir: string; root: string; dbpath: string; status: number; output: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pacman-install-oracle-'));
  const root = join(dir, 'root');
  const dbpath = join(dir, 'db');
  mkdirSync(root);
  mkdirSync(join(dbpath, 'local'), { recursive: true });
  mkdirSync(join(dbpath, 'sync'));
  writeFileSync(join(dbpath, 'local', 'ALPM_DB_VERSION'), '9\n');
  const config = join(dir, 'pacman.conf');
  writeFileSync(
    config,
    repositoryConfig.replace(
      '[options]\n',
      `[options]\nCacheDir = ${join(dir, 'cache')}/\nLogFile = ${join(dir, 'pacman.log')}\n`,
    ),
  );
  const run = spawnSync(
    'pacman',
    [
      '--config',
      config,
      '--root',
      root,
      '--dbpath',
      dbpath,
      '--hookdir',
      join(root, 'etc/pacman.d/hooks/'),
      '--noconfirm',
      '-Sy',
      ...targets,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (run.error) throw run.error;
  return {
    dir,
    root,
    dbpath,
    status: run.status ?? -1,
    output: `${run.stdout}\n${run.stderr}`,
    log: readFileSync(join(dir, 'pacman.log'), 'utf8'),
  };
}

/** Debian's pacman querying an installed root (`-Qk`, `-Dk`...) with its database at the usual place. */
export function pacmanQuery(root: string, args: readonly string[]): { status: number; output: string } {
  const run = spawnSync(
    'pacman',
    ['--root', root, '--dbpath', join(root, 'var/lib/pacman'), '--config', '/dev/null', ...args],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (run.error) throw run.error;
  return { status: run.status ?? -1, output: `${run.stdout}\n${run.stderr}` };
}
