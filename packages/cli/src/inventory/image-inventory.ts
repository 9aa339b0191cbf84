import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { compareBytewise, DistroforgeError, resolveInRootSync } from '@distroforge/core';
import { CliError } from '../errors.js';
import type { DatabasePackage, PackageIdentity } from './database-package.js';
import { DPKG_ADMIN_DIR, readDpkgDatabase } from './dpkg-database.js';
import { readOsRelease } from './os-release.js';
import { packageUrl } from './package-url.js';
import { PACMAN_LOCAL_DIR, readPacmanDatabase } from './pacman-database.js';
import { findRpmdb, readRpmDatabase } from './rpm-database.js';

export interface InventoryFile {
  /** Absolute path inside the image, as it is on disk (`/usr/bin/ls`, links in folders resolved). */
  path: string;
  bytes: number;
}

export interface InventoryPackage extends PackageIdentity {
  purl: string;
  /** SHA-256 of the package file, when the caller knows it (the build's package list). */
  sha256?: string;
  /** The sum of `files`' sizes. */
  installedBytes: number;
  /** Its regular files present in the tree, sorted by path. */
  files: InventoryFile[];
}

export type InventoryFormat = 'deb' | 'rpm' | 'pacman';

export interface ImageInventory {
  format: InventoryFormat;
  /** Sorted by name, then architecture. */
  packages: InventoryPackage[];
  /** Regular files no package owns (generated at build time, the overlay's, scripts'), sorted. */
  unowned: InventoryFile[];
  /** Every regular file's bytes: the packages' installedBytes plus the unowned files'. */
  totalBytes: number;
}

export interface InventoryOptions {
  /** The package database to read; default: the one the root has (dpkg, then pacman, then rpm). */
  format?: InventoryFormat;
  /** Package files' digests by name (and architecture when given), e.g. the rootfs stage's package list. */
  packages?: readonly { name: string; architecture?: string; sha256?: string }[];
  /**
   * The image's regular files with their sizes, when `root` holds only part of the image (its
   * package database, os-release, copyright files and symlinks, extracted from a squashfs): the
   * sizes and the unowned files come from here instead of a walk of `root`.
   */
  files?: ReadonlyMap<string, number>;
  signal?: AbortSignal;
}

/**
 * What a root tree is made of, from its own package database: each package with its version,
 * licence, supplier, PURL and regular files with their sizes, and the files no package owns.
 * Sizes are apparent sizes (st_size) counted once per path; a file several packages list (rare
 * outside folders) is counted in the first of them by name. Paths the database records through a
 * symlinked folder (`/bin/ls` on merged-/usr) are matched to where the file is (`/usr/bin/ls`).
 * The result is sorted and depends only on the tree.
 */
export async function readImageInventory(root: string, options: InventoryOptions = {}): Promise<ImageInventory> {
  const format = options.format ?? (await detectFormat(root));
  const database = await readDatabase(root, format, options.signal);
  const os = await readOsRelease(root);
  const tree = options.files ?? regularFiles(root);
  const claimed = new Set<string>();
  const physical = physicalPaths(root);
  const digests = new Map<string, string>();
  for (const p of options.packages ?? [])
    if (p.sha256) {
      digests.set(`${p.name}\0${p.architecture ?? ''}`, p.sha256);
      if (!digests.has(`${p.name}\0`)) digests.set(`${p.name}\0`, p.sha256);
    }
  const packages = database
    .sort(
      (a, b) =>
        compareBytewise(a.name, b.name) ||
        compareBytewise(a.architecture, b.architecture) ||
        compareBytewise(a.version, b.version),
    )
    .map((pkg): InventoryPackage => {
      const files: InventoryFile[] = [];
      for (const recorded of pkg.paths) {
        const path = physical(recorded);
        const bytes = path === undefined ? undefined : tree.get(path);
        if (path === undefined || bytes === undefined || claimed.has(path)) continue;
        claimed.add(path);
        files.push({ path, bytes });
      }
      files.sort((a, b) => compareBytewise(a.path, b.path));
      const sha256 = digests.get(`${pkg.name}\0${pkg.architecture}`) ?? digests.get(`${pkg.name}\0`);
      return {
        name: pkg.name,
        version: pkg.version,
        architecture: pkg.architecture,
        ...(pkg.license !== undefined ? { license: pkg.license } : {}),
        ...(pkg.sourcePackage !== undefined ? { sourcePackage: pkg.sourcePackage } : {}),
        ...(pkg.supplier !== undefined ? { supplier: pkg.supplier } : {}),
        ...(pkg.supplierType !== undefined ? { supplierType: pkg.supplierType } : {}),
        purl: packageUrl(format, pkg, os),
        ...(sha256 ? { sha256 } : {}),
        installedBytes: files.reduce((n, f) => n + f.bytes, 0),
        files,
      };
    });
  const unowned = [...tree]
    .filter(([path]) => !claimed.has(path))
    .map(([path, bytes]) => ({ path, bytes }))
    .sort((a, b) => compareBytewise(a.path, b.path));
  const totalBytes = [...tree.values()].reduce((n, b) => n + b, 0);
  return { format, packages, unowned, totalBytes };
}

/** Which package database a root carries. */
export async function detectFormat(root: string): Promise<InventoryFormat> {
  if (existsSync(join(root, DPKG_ADMIN_DIR, 'status'))) return 'deb';
  if (existsSync(join(root, PACMAN_LOCAL_DIR))) return 'pacman';
  if (await findRpmdb(root)) return 'rpm';
  throw new CliError('ERR_INVENTORY_UNREADABLE', `${root} has no package database (dpkg, rpm or pacman)`, {
    path: root,
    hint: 'give the root of an image built from apt, RPM or pacman packages (a busybox initramfs has none)',
  });
}

async function readDatabase(root: string, format: InventoryFormat, signal?: AbortSignal): Promise<DatabasePackage[]> {
  try {
    if (format === 'deb') return await readDpkgDatabase(root);
    if (format === 'pacman') return await readPacmanDatabase(root);
    const db = await findRpmdb(root);
    if (!db) throw new Error('no rpm database in /var/lib/rpm or /usr/lib/sysimage/rpm');
    return await readRpmDatabase(root, db, signal);
  } catch (error) {
    // Typed errors (a missing rpm, ours) stand as they are; a file that cannot be read is named.
    if (error instanceof DistroforgeError) throw error;
    throw new CliError(
      'ERR_INVENTORY_UNREADABLE',
      `cannot read the ${format} package database of ${root}: ${(error as Error).message}`,
      {
        path: root,
        cause: error,
        hint: 'the root must hold the package database its packages were installed with',
      },
    );
  }
}

/** Every regular file of the tree by absolute in-root path, with its size; symlinked folders are not entered. */
function regularFiles(root: string): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.set(path, lstatSync(join(root, path)).size);
    }
  };
  walk('');
  return files;
}

/** Maps a recorded path to where it is in the tree: its folder resolved inside the root (one lookup per folder). */
function physicalPaths(root: string): (path: string) => string | undefined {
  const folders = new Map<string, string | undefined>();
  return (recorded) => {
    const path = posix.normalize(recorded);
    const dir = posix.dirname(path);
    if (!folders.has(dir)) {
      let resolved: string | undefined;
      try {
        resolved = resolveInRootSync(root, dir, { followFinal: true, aboveRoot: 'clamp' });
      } catch {
        resolved = undefined;
      }
      folders.set(dir, resolved);
    }
    const folder = folders.get(dir);
    return folder === undefined ? undefined : posix.join(folder, posix.basename(path));
  };
}
