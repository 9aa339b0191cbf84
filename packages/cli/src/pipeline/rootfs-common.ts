import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeManifest, type Manifest } from '@distroforge/core';
import {
  LocalPackageError,
  PACKAGE_FILE_LABEL,
  readPackageFileInfo,
  type PackageFileFormat,
  type PackageFileInfo,
} from '@distroforge/rootfs-bootstrap';
import type { LoadedProfile } from '../profile/load-profile.js';
import { ProfileError } from '../errors.js';
import { profileKeyPosition } from '../profile/profile-key-position.js';
import { kernelPackageOf } from '../profile/profile-schema.js';
import { ensureModuleIndex } from './ensure-module-index.js';
import { findKernel } from './find-kernel.js';

/** What the rootfs stage records, whichever source installed the packages. */
export interface RootfsStageResult {
  packages: { name: string; version: string; architecture: string; sha256: string; localFile?: string }[];
  configured: boolean;
  skippedReason?: string;
  bootstrapMs: number;
}

/**
 * The packages a profile's root is made of: packages.txt, `packages:` and the kernel, sorted once.
 * With `kernel.file` the kernel is that file's package, installed from the file (see
 * `profileLocalPackages`), so no repository kernel is added.
 */
export function rootfsIncludes(loaded: LoadedProfile): string[] {
  const kernel = loaded.profile.kernel.file === undefined ? [kernelPackageOf(loaded.profile)] : [];
  return [...new Set([...loaded.packages, ...kernel])].sort();
}

/** A profile's local package files, identified: `extraPackageFiles` then `kernel.file`. */
export interface ProfileLocalPackages {
  /** Every file (absolute paths), in profile order, the kernel file last. */
  files: PackageFileInfo[];
  /** `kernel.file`'s package: the package whose vmlinuz and modules boot the image. */
  kernel?: PackageFileInfo;
}

/**
 * Resolves `extraPackageFiles` and `kernel.file` against the profile directory and reads each
 * file's package name, version and SHA-256, before anything is built. A missing or unreadable
 * file, or one of the other source's format (an .rpm for an apt source), is a `ProfileError`
 * naming the key and its line; so is a `kernel.package` that is not `kernel.file`'s package.
 */
export async function profileLocalPackages(loaded: LoadedProfile): Promise<ProfileLocalPackages> {
  const { profile } = loaded;
  // A busybox profile's kernel comes from Debian (the kernel stage), so its kernel.file is a .deb.
  const format: PackageFileFormat = profile.source.type.startsWith('rpm-')
    ? 'rpm'
    : profile.source.type.startsWith('pacman')
      ? 'pacman'
      : 'deb';
  const keyed: [string[], string][] = profile.extraPackageFiles.map((file, i) => [
    ['extraPackageFiles', String(i)],
    file,
  ]);
  if (profile.kernel.file !== undefined) keyed.push([['kernel', 'file'], profile.kernel.file]);
  const files: PackageFileInfo[] = [];
  for (const [key, given] of keyed) {
    const path = resolve(loaded.dir, given);
    if (!existsSync(path))
      throw await profileKeyError(
        loaded,
        key,
        `${given}: no such file (${path})`,
        'paths are relative to the profile directory',
      );
    let info: PackageFileInfo;
    try {
      info = await readPackageFileInfo(path);
    } catch (error) {
      if (!(error instanceof LocalPackageError)) throw error;
      throw await profileKeyError(
        loaded,
        key,
        error.message,
        'give a .deb (apt sources), .rpm (RPM sources) or .pkg.tar.* (pacman sources) package file',
      );
    }
    if (profile.source.type === 'busybox' && key[0] === 'extraPackageFiles') {
      throw await profileKeyError(
        loaded,
        key,
        'a busybox source has no package root to install package files into',
        'use an apt or RPM source, or remove extraPackageFiles',
      );
    }
    if (info.format !== format) {
      throw await profileKeyError(
        loaded,
        key,
        `${given} is a ${PACKAGE_FILE_LABEL[info.format]} package; source.type ${profile.source.type} installs ${PACKAGE_FILE_LABEL[format]} files`,
        `give a ${PACKAGE_FILE_LABEL[format]} package file`,
      );
    }
    files.push(info);
  }
  const kernel = profile.kernel.file === undefined ? undefined : files.at(-1);
  if (kernel && profile.kernel.package !== undefined && profile.kernel.package !== kernel.name) {
    throw await profileKeyError(
      loaded,
      ['kernel', 'package'],
      `${profile.kernel.package} is not the package of kernel.file (${kernel.name})`,
      'remove kernel.package: kernel.file names the kernel package',
    );
  }
  return { files, ...(kernel ? { kernel } : {}) };
}

/** A `ProfileError` at the line of `key` in profile.yaml. */
async function profileKeyError(
  loaded: LoadedProfile,
  key: string[],
  message: string,
  hint: string,
): Promise<ProfileError> {
  const pos = await profileKeyPosition(loaded, key);
  return new ProfileError(loaded.profileFile, pos?.line, pos?.col, key.join('.'), message, hint);
}

/**
 * The end of every rootfs stage: the module index the live initramfs needs (unpacked-only roots
 * lack modules.dep), the manifest beside the tree, and the stage's summary.
 */
export async function finishRootfs(
  dir: string,
  local: ProfileLocalPackages,
  result: {
    manifest: Manifest;
    packages: readonly {
      name: string;
      version: string;
      architecture: string;
      sha256: string;
      localFile?: string | undefined;
    }[];
    configured: boolean;
    skippedReason?: string | undefined;
    timings: { totalMs: number };
  },
): Promise<RootfsStageResult> {
  await ensureModuleIndex(join(dir, 'rootfs'), await findKernel(join(dir, 'rootfs'), local.kernel?.name));
  await writeManifest(join(dir, 'manifest.json'), result.manifest);
  return {
    packages: result.packages.map((p) => ({
      name: p.name,
      version: p.version,
      architecture: p.architecture,
      sha256: p.sha256,
      ...(p.localFile ? { localFile: p.localFile } : {}),
    })),
    configured: result.configured,
    ...(result.skippedReason ? { skippedReason: result.skippedReason } : {}),
    bootstrapMs: Math.round(result.timings.totalMs),
  };
}
