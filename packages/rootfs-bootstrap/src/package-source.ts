import type { ManifestEntry, UserNamespace } from '@distroforge/core';
import type { BootstrapProgress } from './options.js';
import type { PackageCandidate, VersionComparator } from './package-candidate.js';

/**
 * A kind of package repository (apt now; rpm-repo, rpm-dir, rpm-iso later) as the pipeline sees it:
 *
 *   index   -> verified metadata as source-neutral `PackageCandidate`s + the variant's base names
 *   local   -> a local package file (.deb, .rpm) as a candidate of the same shape (`localPackages`)
 *   resolve -> shared (`resolveDependencies`, `installOrder`) with the source's version comparator
 *   fetch   -> shared (`fetchPackages`: SHA-256-keyed cache, parallel, resumable, verified)
 *   unpack  -> the source's archive reader writes files into the target and reports the manifest
 *   install -> the source's own package manager, run in the target's root in a user namespace
 */
export interface PackageSource<Repository = unknown> {
  readonly kind: string;
  index(request: SourceIndexRequest): Promise<SourceIndex<Repository>>;
  /** Reads a local package file of this source's format; throws `LocalPackageError` for another format or architecture. */
  localCandidate(file: string, facts: LocalFileFacts): Promise<PackageCandidate>;
  unpack(
    file: string,
    root: string,
    options: { chown: boolean; skip?: (path: string) => boolean },
  ): Promise<{ manifest: ManifestEntry[] }>;
  /** Runs the packages' own configuration inside the root; reports which scripts ran and how long. */
  install(request: SourceInstallRequest): Promise<InstallReport>;
}

/** What the pipeline knows of a local package file before its source reads it. */
export interface LocalFileFacts {
  /** Absolute path. */
  path: string;
  sha256: string;
  size: number;
  /** The target's architecture (in the source's naming). */
  architecture: string;
}

export interface SourceIndexRequest {
  suite: string;
  variant: string;
  architecture: string;
  cacheDir: string;
  onProgress?: (event: BootstrapProgress) => void;
  signal?: AbortSignal;
}

export interface SourceIndex<Repository = unknown> {
  repositories: Repository[];
  candidates: PackageCandidate[];
  compare: VersionComparator;
  /** Names the variant installs before the user's includes. */
  baseNames: string[];
}

export interface SourceInstallRequest {
  root: string;
  /** Every package, dependencies first. */
  order: readonly PackageCandidate[];
  /** Packages that must be installed first (unpacked in-process before, so the chroot works). */
  essentialSet: ReadonlySet<string>;
  files: ReadonlyMap<string, string>;
  logFile: string;
  sourceDateEpoch: number | undefined;
  /** Let kernel packages build an initramfs. */
  initramfs: boolean;
  onProgress?: (event: BootstrapProgress) => void;
  /** Aborts the running package manager. */
  signal?: AbortSignal;
  /** The user namespace the image's programs run in (prepared before any work). */
  namespace: UserNamespace;
  /** Called (and awaited) once every package's files are unpacked, before the last scripts run (`BootstrapOptions.onFilesUnpacked`). */
  onFilesUnpacked?: (root: string) => void | Promise<void>;
}

/** What the install step did: the scripts that ran, and the duration of each step. */
export interface InstallReport {
  maintainerScripts: MaintainerScripts[];
  steps: { step: string; ms: number }[];
  /** What the tree on disk cannot hold after the install (device nodes and fifos from the archives). */
  manifest: ManifestEntry[];
}

/** Maintainer scripts the package manager ran for one package. */
export interface MaintainerScripts {
  package: string;
  scripts: ('preinst' | 'postinst')[];
}
