import { parsePacmanDependency, type PacmanDependency } from '../dependency.js';
import { PacmanPackageFormatError } from '../errors.js';

/** A package's `.PKGINFO`: what pacman copies into the local database's `desc` when it installs it. */
export interface PacmanPkgInfo {
  name: string;
  version: string;
  base: string | undefined;
  description: string | undefined;
  url: string | undefined;
  architecture: string | undefined;
  buildDate: number | undefined;
  packager: string | undefined;
  /** Installed size in bytes (`size`). */
  installedSize: number | undefined;
  groups: string[];
  licenses: string[];
  replaces: PacmanDependency[];
  depends: PacmanDependency[];
  optDepends: PacmanDependency[];
  conflicts: PacmanDependency[];
  provides: PacmanDependency[];
  /** Files whose MD5 the local database records (`backup`), relative, no leading slash. */
  backup: string[];
}

/**
 * Parses `.PKGINFO` (`key = value` lines, `#` comments) as alpm reads it: name and a version with
 * a release (`-`) are required; unknown keys are ignored (pacman warns).
 */
export function parsePkgInfo(text: string, origin: string): PacmanPkgInfo {
  const values = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^\s*([^=\s]+)\s*=\s?(.*)$/.exec(line);
    if (!match)
      throw new PacmanPackageFormatError(
        `${origin}: .PKGINFO line ${JSON.stringify(line.slice(0, 80))} is not key = value`,
        { path: origin, value: line.slice(0, 200) },
      );
    const list = values.get(match[1]!) ?? [];
    list.push(match[2]!.trimEnd());
    values.set(match[1]!, list);
  }
  const single = (key: string): string | undefined => values.get(key)?.at(-1);
  const number = (key: string): number | undefined => {
    const value = single(key);
    if (value === undefined) return undefined;
    if (!/^\d{1,15}$/.test(value))
      throw new PacmanPackageFormatError(
        `${origin}: .PKGINFO ${key} is not a number: ${JSON.stringify(value.slice(0, 40))}`,
        { path: origin, value: value.slice(0, 200) },
      );
    return Number(value);
  };
  const list = (key: string): string[] => values.get(key) ?? [];
  const deps = (key: string): PacmanDependency[] => list(key).map(parsePacmanDependency);
  const name = single('pkgname');
  const version = single('pkgver');
  if (!name) throw new PacmanPackageFormatError(`${origin}: .PKGINFO names no package (pkgname)`, { path: origin });
  if (!version || !version.includes('-'))
    throw new PacmanPackageFormatError(`${origin}: .PKGINFO has no pkgver of the form [epoch:]version-release`, {
      path: origin,
      value: version,
    });
  return {
    name,
    version,
    base: single('pkgbase'),
    description: single('pkgdesc'),
    url: single('url'),
    architecture: single('arch'),
    buildDate: number('builddate'),
    packager: single('packager'),
    installedSize: number('size'),
    groups: list('group'),
    licenses: list('license'),
    replaces: deps('replaces'),
    depends: deps('depend'),
    optDepends: deps('optdepend'),
    conflicts: deps('conflict'),
    provides: deps('provides'),
    backup: list('backup'),
  };
}
