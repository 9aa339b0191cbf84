import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256File } from '@distroforge/core';
import { fetchBytes } from '../../fetch-resource.js';
import { parseOptions } from '../../options.js';
import { PacmanDescSyntaxError } from '../errors.js';
import type { PacmanPackageInfo } from '../package-info.js';
import { resolvePacmanTargets } from '../resolve.js';
import { type PacmanSyncDatabase, parsePacmanSyncDatabase } from '../sync-database.js';
import type { PacmanInstallReason } from './local-database.js';
import {
  type NormalisedPacmanResolveOptions,
  type PacmanResolveOptions,
  pacmanResolveOptionsSchema,
} from './options.js';
import { readPacmanPackage } from './package-archive.js';

/** One package `bootstrapPacman` would install. */
export interface PacmanResolvedPackage {
  name: string;
  version: string;
  repository: string;
  /** The package file's name in its repository (`%FILENAME%`). */
  filename: string;
  /** The database's `%SHA256SUM%` (checked when the package is fetched). */
  sha256: string;
  /** `%ARCH%` (`x86_64`, `any`). */
  architecture: string;
  /** `explicit` for the targets' packages, `dependency` for the rest (pacman's `%REASON%`). */
  reason: PacmanInstallReason;
}

/** What `resolvePacmanRootfs` returns. */
export interface PacmanRootfsResolution {
  /** In installation order (dependencies first). */
  packages: PacmanResolvedPackage[];
}

/**
 * What `bootstrapPacman` with the same options would install, in its order: the repositories'
 * sync databases (or package folders) are read and `include` resolved as `pacman -S` does on an
 * empty root. No package is downloaded and no target is touched (a folder without its database is
 * read package by package, as for an install).
 */
export async function resolvePacmanRootfs(options: PacmanResolveOptions): Promise<PacmanRootfsResolution> {
  const o = parseOptions(pacmanResolveOptionsSchema, options);
  const selection = await resolvePacmanSelection(o);
  return {
    packages: selection.map(({ pkg, sha256, reason }) => ({
      name: pkg.name,
      version: pkg.version,
      repository: pkg.repo,
      filename: pkg.filename,
      sha256,
      architecture: pkg.architecture ?? 'any',
      reason,
    })),
  };
}

/** A package of the resolution with the repository it comes from (internal: `bootstrapPacman` fetches from it). */
export interface PacmanSelected {
  pkg: PacmanPackageInfo;
  source: RepositorySource;
  reason: PacmanInstallReason;
  /** The database's `%SHA256SUM%` (a package without one is refused). */
  sha256: string;
}

/** Reads the repositories and resolves `include`: the one resolution both the resolve-only API and the install use. */
export async function resolvePacmanSelection(o: NormalisedPacmanResolveOptions): Promise<PacmanSelected[]> {
  const sources = await Promise.all(o.repositories.map((r) => readRepository(r, o)));
  o.signal?.throwIfAborted();
  const resolution = resolvePacmanTargets(
    sources.map((s) => s.database),
    o.include,
  );
  const explicit = new Set(resolution.explicit);
  const byRepo = new Map(sources.map((s) => [s.database.repo, s]));
  return resolution.packages.map((pkg) => {
    const source = byRepo.get(pkg.repo);
    if (source === undefined) throw new Error(`internal: ${pkg.name} from ${pkg.repo}, not a configured repository`);
    if (!pkg.sha256)
      throw new PacmanDescSyntaxError(
        `${pkg.repo}: ${pkg.name}-${pkg.version} has no %SHA256SUM%; the package cannot be checked`,
        { path: source.origin, value: pkg.name },
      );
    return { pkg, source, sha256: pkg.sha256, reason: explicit.has(pkg.name) ? 'explicit' : 'dependency' };
  });
}

export interface RepositorySource {
  database: PacmanSyncDatabase;
  origin: string;
  packageUrl: (filename: string) => string;
  signatureOf: (filename: string) => string;
}

async function readRepository(
  r: NormalisedPacmanResolveOptions['repositories'][number],
  o: NormalisedPacmanResolveOptions,
): Promise<RepositorySource> {
  if ('server' in r) {
    const base = r.server
      .replace(/\$repo/g, r.name)
      .replace(/\$arch/g, o.architecture)
      .replace(/\/+$/, '');
    const origin = `${base}/${r.name}.db`;
    const database = await parsedDatabase(
      await fetchBytes(origin, o.signal ? { signal: o.signal } : {}),
      r.name,
      origin,
    );
    return {
      database,
      origin,
      packageUrl: (f) => `${base}/${encodeURIComponent(f)}`,
      signatureOf: (f) => `${base}/${encodeURIComponent(f)}.sig`,
    };
  }
  const folder = resolve(r.folder);
  const db = join(folder, `${r.name}.db`);
  const url = (f: string) => pathToFileURL(join(folder, f)).href;
  if (await stat(db).catch(() => undefined)) {
    const database = await parsedDatabase(await fetchBytes(pathToFileURL(db).href), r.name, db);
    return { database, origin: db, packageUrl: url, signatureOf: (f) => join(folder, `${f}.sig`) };
  }
  return {
    database: await databaseOfFolder(folder, r.name),
    origin: folder,
    packageUrl: url,
    signatureOf: (f) => join(folder, `${f}.sig`),
  };
}

/** Databases parsed in this process, by repository name and content digest (most recent last). */
const parsedDatabases = new Map<string, PacmanSyncDatabase>();
const PARSED_DATABASES_KEPT = 8;

/**
 * A sync database parsed once per content: a build resolves its request for the stage key, then
 * installs it (and a locked build checks the lock file too), each reading the same databases; a
 * real `extra.db` takes most of a second to parse. Keyed by the bytes' SHA-256, so a database
 * that changed in between is parsed again; the parsed packages are never modified by resolution.
 */
async function parsedDatabase(bytes: Buffer, repo: string, origin: string): Promise<PacmanSyncDatabase> {
  const key = `${repo}\0${createHash('sha256').update(bytes).digest('hex')}`;
  const known = parsedDatabases.get(key);
  if (known) {
    parsedDatabases.delete(key);
    parsedDatabases.set(key, known);
    return known;
  }
  const database = await parsePacmanSyncDatabase(bytes, repo, { origin });
  parsedDatabases.set(key, database);
  if (parsedDatabases.size > PARSED_DATABASES_KEPT) parsedDatabases.delete(parsedDatabases.keys().next().value!);
  return database;
}

/** A folder without a database: every `.pkg.tar.*` read for its `.PKGINFO`, as repo-add would list it. */
async function databaseOfFolder(folder: string, repo: string): Promise<PacmanSyncDatabase> {
  const names = (await readdir(folder)).filter((n) => /\.pkg\.tar(\.(zst|xz|gz|bz2))?$/.test(n)).sort();
  const packages: PacmanPackageInfo[] = [];
  for (const filename of names) {
    const file = join(folder, filename);
    const { info } = await readPacmanPackage(file);
    if (packages.some((p) => p.name === info.name)) continue;
    packages.push({
      repo,
      name: info.name,
      version: info.version,
      filename,
      base: info.base,
      description: info.description,
      url: info.url,
      licenses: info.licenses,
      architecture: info.architecture,
      buildDate: info.buildDate,
      packager: info.packager,
      groups: info.groups,
      compressedSize: (await stat(file)).size,
      installedSize: info.installedSize,
      md5: undefined,
      sha256: await sha256File(file),
      pgpSignature: undefined,
      depends: info.depends,
      makeDepends: [],
      checkDepends: [],
      optDepends: info.optDepends,
      conflicts: info.conflicts,
      provides: info.provides,
      replaces: info.replaces,
      xdata: [],
      extra: {},
    });
  }
  return { repo, packages };
}
