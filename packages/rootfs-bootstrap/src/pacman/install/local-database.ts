import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPacmanDependency, type PacmanDependency } from '../dependency.js';
import type { PacmanPackageContents } from './package-archive.js';

/** Where pacman keeps the local database, relative to the root. */
export const PACMAN_LOCAL_DB = 'var/lib/pacman/local';

/** The local database format pacman 6 and 7 read and write (`ALPM_DB_VERSION`). */
export const ALPM_DB_VERSION = 9;

/** Why a package is installed: `explicit` (a target, reason 0) or `dependency` (pulled in, `%REASON%` 1). */
export type PacmanInstallReason = 'explicit' | 'dependency';

/** How the package file was checked before installing (`%VALIDATION%`): pacman lists what it verified. */
export type PacmanValidation = 'none' | 'md5' | 'sha256' | 'pgp';

/** Creates the local database folder and its version file (before the first package). */
export async function createLocalDatabase(root: string): Promise<void> {
  await mkdir(join(root, PACMAN_LOCAL_DB), { recursive: true, mode: 0o755 });
  await writeFile(join(root, PACMAN_LOCAL_DB, 'ALPM_DB_VERSION'), `${ALPM_DB_VERSION}\n`, { mode: 0o644 });
}

export interface LocalDatabaseEntry {
  contents: PacmanPackageContents;
  reason: PacmanInstallReason;
  /** Seconds since the epoch (`%INSTALLDATE%`). */
  installDate: number;
  validation: readonly PacmanValidation[];
  /** MD5 of each backup file as unpacked. */
  backup: ReadonlyMap<string, string>;
}

/**
 * Writes `NAME-VERSION/{desc,files}` and copies `mtree`, `install` and `changelog` from the package,
 * as pacman does after extracting a package: desc fields in pacman's order (from `.PKGINFO`),
 * `%FILES%` sorted with directories ending in `/`, `%BACKUP%` with the MD5 of each file as
 * unpacked; folder 0755, files 0644.
 */
export function writeLocalDatabaseEntry(root: string, entry: LocalDatabaseEntry): string {
  // Synchronous, between two packages' unpacks on the same thread: as awaited calls, the ~9 system
  // calls of each entry were as many round trips through the thread pool, the main thread idle.
  const { info } = entry.contents;
  const folder = join(root, PACMAN_LOCAL_DB, `${info.name}-${info.version}`);
  mkdirSync(folder, { mode: 0o755 });
  chmodSync(folder, 0o755);
  const write = (name: string, data: string | Buffer) => {
    writeFileSync(join(folder, name), data, { mode: 0o644, flag: 'wx' });
    chmodSync(join(folder, name), 0o644);
  };
  write('desc', localDesc(entry));
  let files = '';
  if (entry.contents.files.length > 0) files += `%FILES%\n${entry.contents.files.join('\n')}\n\n`;
  const backups = info.backup.filter((path) => entry.backup.has(path));
  if (backups.length > 0)
    files += `%BACKUP%\n${backups.map((path) => `${path}\t${entry.backup.get(path)}`).join('\n')}\n\n`;
  write('files', files);
  if (entry.contents.mtree) write('mtree', entry.contents.mtree);
  if (entry.contents.install) write('install', entry.contents.install);
  if (entry.contents.changelog) write('changelog', entry.contents.changelog);
  return folder;
}

/** The `desc` text pacman writes for an installed package (be_local.c's field order; empty fields left out). */
export function localDesc(entry: LocalDatabaseEntry): string {
  const { info } = entry.contents;
  const blocks: [string, readonly string[]][] = [
    ['NAME', [info.name]],
    ['VERSION', [info.version]],
    ['BASE', optional(info.base)],
    ['DESC', optional(info.description)],
    ['URL', optional(info.url)],
    ['ARCH', optional(info.architecture)],
    ['BUILDDATE', info.buildDate ? [String(info.buildDate)] : []],
    ['INSTALLDATE', entry.installDate ? [String(entry.installDate)] : []],
    ['PACKAGER', optional(info.packager)],
    ['SIZE', info.installedSize ? [String(info.installedSize)] : []],
    ['REASON', entry.reason === 'dependency' ? ['1'] : []],
    ['GROUPS', info.groups],
    ['LICENSE', info.licenses],
    ['VALIDATION', entry.validation],
    ['REPLACES', deps(info.replaces)],
    ['DEPENDS', deps(info.depends)],
    ['OPTDEPENDS', deps(info.optDepends)],
    ['CONFLICTS', deps(info.conflicts)],
    ['PROVIDES', deps(info.provides)],
  ];
  return blocks
    .filter(([, values]) => values.length > 0)
    .map(([key, values]) => `%${key}%\n${values.join('\n')}\n\n`)
    .join('');
}

function optional(value: string | undefined): string[] {
  return value ? [value] : [];
}

function deps(list: readonly PacmanDependency[]): string[] {
  return list.map((d) =>
    d.description === undefined ? formatPacmanDependency(d) : `${formatPacmanDependency(d)}: ${d.description}`,
  );
}
