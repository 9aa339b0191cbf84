import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch pacman setup for Debian's pacman: `root`, `dbpath` and a `pacman.conf` with the given repositories. */
export interface PacmanScratch {
  dir: string;
  root: string;
  dbpath: string;
  config: string;
}

/** Creates root, dbpath (with an empty local database) and a pacman.conf; `repos` maps a repository name to its folder. */
export function pacmanScratch(
  repos: ReadonlyArray<readonly [string, string]> = [],
  prefix = 'pacman-oracle-',
): PacmanScratch {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const root = join(dir, 'root');
  const dbpath = join(dir, 'db');
  mkdirSync(root);
  mkdirSync(join(dbpath, 'local'), { recursive: true });
  mkdirSync(join(dbpath, 'sync'));
  writeFileSync(join(dbpath, 'local', 'ALPM_DB_VERSION'), '9\n');
  const config = join(dir, 'pacman.conf');
  const sections = repos.map(([name, folder]) => `[${name}]\nSigLevel = Never\nServer = file://${folder}\n`);
  writeFileSync(
    config,
    `[options]\nArchitecture = x86_64\nSigLevel = Never\nCacheDir = ${join(dir, 'cache')}/\nLogFile = ${join(dir, 'pacman.log')}\n\n${sections.join('\n')}`,
  );
  return { dir, root, dbpath, config };
}

/** Writes a `desc` file in pacman's `%KEY%` block format. */
export function descText(fields: ReadonlyArray<readonly [string, string | readonly string[]]>): string {
  return fields
    .map(([key, value]) => `%${key}%\n${(typeof value === 'string' ? [value] : value).join('\n')}\n\n`)
    .join('');
}

/** Runs Debian's pacman on the scratch setup; returns status, stdout and stderr. */
export function runPacman(
  s: PacmanScratch,
  args: readonly string[],
): { status: number; stdout: string; stderr: string } {
  const run = spawnSync(
    'pacman',
    ['--config', s.config, '--dbpath', s.dbpath, '--root', s.root, '--noconfirm', ...args],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (run.error) throw run.error;
  return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/**
 * Points a scratch setup at a repository's pacman.conf, keeping the scratch's own CacheDir and
 * LogFile: with pacman's defaults, a package of the same name left in /var/cache/pacman/pkg by an
 * earlier generation of the test repository fails its checksum.
 */
export function useRepositoryConfig(s: PacmanScratch, repositoryConfig: string): void {
  writeFileSync(
    s.config,
    repositoryConfig.replace(
      '[options]\n',
      `[options]\nCacheDir = ${join(s.dir, 'cache')}/\nLogFile = ${join(s.dir, 'pacman.log')}\n`,
    ),
  );
}
