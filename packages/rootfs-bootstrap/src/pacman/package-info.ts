import { parsePacmanDependency, type PacmanDependency } from './dependency.js';
import { PacmanDescSyntaxError } from './errors.js';

/** One package of a sync database: every field of its `desc` (and old-style `depends`) file. */
export interface PacmanPackageInfo {
  /** The repository (sync database) it comes from. */
  repo: string;
  name: string;
  /** `[epoch:]pkgver-pkgrel`. */
  version: string;
  /** The package file's name in the repository (`%FILENAME%`). */
  filename: string;
  base: string | undefined;
  description: string | undefined;
  url: string | undefined;
  licenses: string[];
  architecture: string | undefined;
  /** Seconds since the epoch. */
  buildDate: number | undefined;
  packager: string | undefined;
  groups: string[];
  /** Size of the package file in bytes. */
  compressedSize: number | undefined;
  /** Installed size in bytes. */
  installedSize: number | undefined;
  md5: string | undefined;
  sha256: string | undefined;
  /** The base64 detached signature of the package file (`%PGPSIG%`). */
  pgpSignature: string | undefined;
  depends: PacmanDependency[];
  makeDepends: PacmanDependency[];
  checkDepends: PacmanDependency[];
  optDepends: PacmanDependency[];
  conflicts: PacmanDependency[];
  provides: PacmanDependency[];
  replaces: PacmanDependency[];
  /** `%XDATA%` lines (`key=value`, e.g. `pkgtype=pkg`). */
  xdata: string[];
  /** Fields this reader does not know, kept as read (a newer repo-add's additions). */
  extra: Record<string, string[]>;
}

const KNOWN = new Set([
  'NAME',
  'VERSION',
  'FILENAME',
  'BASE',
  'DESC',
  'URL',
  'LICENSE',
  'ARCH',
  'BUILDDATE',
  'PACKAGER',
  'GROUPS',
  'CSIZE',
  'ISIZE',
  'MD5SUM',
  'SHA256SUM',
  'PGPSIG',
  'DEPENDS',
  'MAKEDEPENDS',
  'CHECKDEPENDS',
  'OPTDEPENDS',
  'CONFLICTS',
  'PROVIDES',
  'REPLACES',
  'XDATA',
]);

/**
 * Builds a package from its desc fields. `folder` is its database folder (`NAME-VERSION`): as
 * pacman does, the desc's name and version must be the folder's, else the database is inconsistent.
 */
export function packageInfoFromDesc(
  fields: ReadonlyMap<string, readonly string[]>,
  repo: string,
  folder: string,
  origin: string,
): PacmanPackageInfo {
  const single = (key: string): string | undefined => {
    const values = fields.get(key);
    if (values && values.length > 1)
      throw new PacmanDescSyntaxError(`${origin}: %${key}% has ${values.length} values, expected one`, {
        path: origin,
        value: values,
      });
    return values?.[0];
  };
  const required = (key: string): string => {
    const value = single(key);
    if (value === undefined || value === '')
      throw new PacmanDescSyntaxError(`${origin}: no %${key}%`, { path: origin, value: key });
    return value;
  };
  const number = (key: string): number | undefined => {
    const value = single(key);
    if (value === undefined) return undefined;
    if (!/^\d{1,15}$/.test(value))
      throw new PacmanDescSyntaxError(
        `${origin}: %${key}% is not a size or time: ${JSON.stringify(value.slice(0, 40))}`,
        { path: origin, value: value.slice(0, 200) },
      );
    return Number(value);
  };
  const list = (key: string): string[] => [...(fields.get(key) ?? [])];
  const deps = (key: string): PacmanDependency[] => list(key).map(parsePacmanDependency);
  const name = required('NAME');
  const version = required('VERSION');
  if (folder !== `${name}-${version}`)
    throw new PacmanDescSyntaxError(
      `${origin}: %NAME% ${name} and %VERSION% ${version} are not those of its folder ${folder}`,
      { path: origin, value: folder },
    );
  const extra: Record<string, string[]> = {};
  for (const [key, values] of fields) if (!KNOWN.has(key)) extra[key] = [...values];
  return {
    repo,
    name,
    version,
    filename: required('FILENAME'),
    base: single('BASE'),
    description: single('DESC'),
    url: single('URL'),
    licenses: list('LICENSE'),
    architecture: single('ARCH'),
    buildDate: number('BUILDDATE'),
    packager: single('PACKAGER'),
    groups: list('GROUPS'),
    compressedSize: number('CSIZE'),
    installedSize: number('ISIZE'),
    md5: single('MD5SUM'),
    sha256: single('SHA256SUM'),
    pgpSignature: single('PGPSIG'),
    depends: deps('DEPENDS'),
    makeDepends: deps('MAKEDEPENDS'),
    checkDepends: deps('CHECKDEPENDS'),
    optDepends: deps('OPTDEPENDS'),
    conflicts: deps('CONFLICTS'),
    provides: deps('PROVIDES'),
    replaces: deps('REPLACES'),
    xdata: list('XDATA'),
    extra,
  };
}
