import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { distroforgeCacheRoot, sha256File } from '@distroforge/core';
import { DigestMismatchError } from './errors.js';
import { downloadVerified } from './fetch-resource.js';
import type { PackageCandidate } from './package-candidate.js';

/** Progress of the download phase, one event per finished (or cached) package. */
export interface DownloadProgress {
  phase: 'download';
  name: string;
  /** Whether the file came from the cache. */
  cached: boolean;
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
}

export interface FetchPackagesOptions {
  /** Cache root; package files live in `<cacheDir>/debs/<sha256>.deb`. */
  cacheDir: string;
  /** Parallel downloads (default 4). */
  concurrency: number;
  onProgress?: (event: DownloadProgress) => void;
  signal?: AbortSignal;
}

/** `$XDG_CACHE_HOME/distroforge`, else `~/.cache/distroforge`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return distroforgeCacheRoot(env);
}

/**
 * Makes every package file available in the shared cache, keyed by SHA-256: cached files are
 * re-hashed before use (a corrupt one is fetched again), missing ones are downloaded in parallel
 * (resuming partial files) and verified. Returns the local file per package name.
 */
export async function fetchPackages(
  packages: readonly PackageCandidate[],
  options: FetchPackagesOptions,
): Promise<Map<string, string>> {
  return fetchPackagesEach(packages, options).all;
}

/** What `fetchPackagesEach` gives: each package's file as soon as it is verified, and all of them. */
export interface PackageFetches {
  /** Per package name, its verified file; after a failure, every one not fetched yet rejects with it. */
  files: Map<string, Promise<string>>;
  /** Settles once no download runs any more: every file, or the first failure. */
  all: Promise<Map<string, string>>;
}

/**
 * `fetchPackages`, with each package usable as soon as it is verified: a caller reads the first
 * packages while later ones are still hashed or downloaded. After a failure no new download
 * starts. Any of the promises may be awaited late or not at all (their rejections are handled here).
 */
export function fetchPackagesEach(
  packages: readonly PackageCandidate[],
  options: FetchPackagesOptions,
): PackageFetches {
  const settle = new Map<string, { resolve: (file: string) => void; reject: (error: unknown) => void }>();
  const files = new Map<string, Promise<string>>();
  for (const pkg of packages) {
    const promise = new Promise<string>((resolve, reject) => settle.set(pkg.name, { resolve, reject }));
    promise.catch(() => undefined);
    files.set(pkg.name, promise);
  }
  const fetched = new Map<string, string>();
  const totalBytes = packages.reduce((sum, p) => sum + p.size, 0);
  let done = 0;
  let bytes = 0;
  let failure: { error: unknown } | undefined;
  const queue = [...packages];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next && !failure; next = queue.shift()) {
      const pkg = next;
      try {
        const { file, cached } = await fetchOne(pkg, options);
        fetched.set(pkg.name, file);
        settle.get(pkg.name)!.resolve(file);
        done++;
        bytes += pkg.size;
        options.onProgress?.({
          phase: 'download',
          name: pkg.name,
          cached,
          done,
          total: packages.length,
          bytes,
          totalBytes,
        });
      } catch (error) {
        failure ??= { error };
        for (const { reject } of settle.values()) reject(failure.error);
        throw error;
      }
    }
  };
  const all = Promise.allSettled(Array.from({ length: Math.max(1, options.concurrency) }, worker)).then(() => {
    if (failure) throw failure.error;
    return fetched;
  });
  // A caller busy reading the first files may await this only later, after it failed.
  all.catch(() => undefined);
  return { files, all };
}

/** One package into the cache: the cached file when its size and SHA-256 are right, else downloaded and verified. */
async function fetchOne(
  pkg: PackageCandidate,
  options: FetchPackagesOptions,
): Promise<{ file: string; cached: boolean }> {
  const file = join(options.cacheDir, 'debs', `${pkg.sha256}.deb`);
  const existing = await stat(file).catch(() => undefined);
  if (existing) {
    if (existing.size === pkg.size && (await sha256File(file)) === pkg.sha256) return { file, cached: true };
    await rm(file, { force: true });
  }
  try {
    await downloadVerified(pkg.location, file, {
      sha256: pkg.sha256,
      size: pkg.size,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DigestMismatchError) {
      throw new DigestMismatchError(`${pkg.name} ${pkg.version} (${pkg.location})`, error.expected, error.actual, {
        path: pkg.location,
        cause: error,
      });
    }
    throw error;
  }
  return { file, cached: false };
}
