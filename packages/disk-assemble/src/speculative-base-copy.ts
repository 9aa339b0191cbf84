import { byRecentUse, runLogged } from '@distroforge/core';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedBaseImages } from './cached-base-images.js';

/** A copy of a cached base image started before the build knows which base it needs. */
export interface SpeculativeBaseCopy {
  /** The base image being copied. */
  readonly image: string;
  /**
   * The finished copy when `image` is the one copied (to be renamed into place), else undefined,
   * and the copy is stopped and deleted.
   */
  claim(image: string): Promise<string | undefined>;
  /**
   * Stops the copy and deletes the file unless it was renamed away: call it once the build is over,
   * whether it succeeded or not. Safe to call any number of times.
   */
  discard(): Promise<void>;
}

/**
 * Starts copying the most recently used base image in `cacheDir` (reuse refreshes an image's
 * mtime) to a new file in `directory`. A rebuild after a small change needs the same base again,
 * and copying it (hundreds of megabytes, the longest step of such a rebuild) then overlaps the tree
 * walk, the input digest and the boot pieces instead of following them. Undefined when the cache
 * holds no base. `directory` should be on the output's file system, so a claimed copy can be renamed.
 */
export async function speculateBaseCopy(
  cacheDir: string,
  directory: string,
  run: { logFile: string; signal?: AbortSignal | undefined },
): Promise<SpeculativeBaseCopy | undefined> {
  const [image] = await byRecentUse(await cachedBaseImages(cacheDir));
  if (image === undefined) return undefined;
  const copy = join(directory, `.distroforge-base-${process.pid}-${randomBytes(4).toString('hex')}.ext4`);
  const abort = new AbortController();
  const stop = () => abort.abort();
  run.signal?.addEventListener('abort', stop, { once: true });
  const copying = runLogged('cp', ['--sparse=always', '--no-target-directory', image, copy], {
    logFile: run.logFile,
    signal: abort.signal,
  }).then(
    () => true,
    () => false,
  );
  const discard = async () => {
    abort.abort();
    run.signal?.removeEventListener('abort', stop);
    await copying;
    // A claimed copy was renamed into place: then there is nothing left at this path.
    await rm(copy, { force: true });
  };
  return {
    image,
    async claim(wanted) {
      if (wanted === image && (await copying)) return copy;
      await discard();
      return undefined;
    },
    discard,
  };
}
