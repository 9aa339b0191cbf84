import { readRpm } from '@distroforge/rpm-extract';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { controlField, parseControlFile } from './apt/control-file.js';
import { readDebControlArchive } from './apt/deb/control-archive.js';
import { LocalPackageError } from './errors.js';
import { packageFileFormat, type PackageFileFormat } from './local-packages.js';
import { sha256File } from '@distroforge/core';
import { formatRpmEvr } from './rpm/version.js';
import { readPacmanPackage } from './pacman/install/package-archive.js';

/** What a package file is, from its own metadata (a `.deb`'s control file, an `.rpm`'s header, a pacman package's `.PKGINFO`). */
export interface PackageFileInfo {
  /** Absolute path. */
  file: string;
  format: PackageFileFormat;
  name: string;
  /** Debian version, rpm `[epoch:]version-release` or pacman `[epoch:]pkgver-pkgrel`. */
  version: string;
  architecture: string;
  sha256: string;
  size: number;
}

/**
 * Identifies a local package file (e.g. to name the package a profile's kernel file installs, or to
 * key a cache on its digest) without a source. Throws `LocalPackageError` for a missing, corrupt or
 * unknown file.
 */
export async function readPackageFileInfo(file: string): Promise<PackageFileInfo> {
  const path = resolve(file);
  const stats = await stat(path).catch(() => undefined);
  if (!stats?.isFile()) throw new LocalPackageError(path, stats ? 'not a regular file' : 'no such file');
  const format = await packageFileFormat(path);
  if (!format)
    throw new LocalPackageError(path, 'is neither a .deb, an .rpm nor a pacman package (unknown file format)');
  try {
    const facts =
      format === 'deb'
        ? await debIdentity(path)
        : format === 'rpm'
          ? await rpmIdentity(path)
          : await pacmanIdentity(path);
    return { file: path, format, ...facts, sha256: await sha256File(path), size: stats.size };
  } catch (error) {
    if (error instanceof LocalPackageError || !(error instanceof Error)) throw error;
    throw new LocalPackageError(path, `unreadable or corrupt: ${error.message}`, { cause: error });
  }
}

async function debIdentity(file: string): Promise<{ name: string; version: string; architecture: string }> {
  const [control] = parseControlFile((await readDebControlArchive(file)).control, `${file}: control`);
  const [name, version, architecture] = ['Package', 'Version', 'Architecture'].map((f) =>
    control ? controlField(control, f) : undefined,
  );
  if (!name || !version || !architecture)
    throw new LocalPackageError(file, 'the control file lacks Package, Version or Architecture');
  return { name, version, architecture };
}

async function rpmIdentity(file: string): Promise<{ name: string; version: string; architecture: string }> {
  const header = await readRpm(file);
  if (header.isSource)
    throw new LocalPackageError(file, `is a source package (${header.name}); install binary .rpm files`);
  return {
    name: header.name,
    version: formatRpmEvr({ epoch: header.epoch ?? 0, version: header.version, release: header.release }),
    architecture: header.arch,
  };
}

async function pacmanIdentity(file: string): Promise<{ name: string; version: string; architecture: string }> {
  const { info } = await readPacmanPackage(file);
  return { name: info.name, version: info.version, architecture: info.architecture ?? 'any' };
}
