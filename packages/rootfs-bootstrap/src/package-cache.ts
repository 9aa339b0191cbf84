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
  const files = new Map<string, string>();
  const totalBytes = packages.reduce((sum, p) => sum + p.size, 0);
  let done = 0;
  let bytes = 0;
  const queue = [...packages];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const pkg = next;
      const file = join(options.cacheDir, 'debs', `${pkg.sha256}.deb`);
      let cached = false;
      const existing = await stat(file).catch(() => undefined);
      if (existing) {
        if (existing.size === pkg.size && (await sha256File(file)) === pkg.sha256) cached = true;
        else await rm(file, { force: true });
      }
      if (!cached) {
        try {
          await downloadVerified(pkg.location, file, {
            sha256: pkg.sha256,
            size: pkg.size,
            ...(options.signal ? { signal: options.signal } : {}),
          });
        } catch (error) {
          if (error instanceof DigestMismatchError) {
            throw new DigestMismatchError(
              `${pkg.name} ${pkg.version} (${pkg.location})`,
              error.expected,
              error.actual,
              { path: pkg.location, cause: error },
            );
          }
          throw error;
        }
      }
      files.set(pkg.name, file);
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
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return files;
}
