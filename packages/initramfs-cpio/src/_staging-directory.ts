import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CpioTargetNotEmptyError } from './errors.js';

/**
 * Creates the private (0700) directory an extraction writes into, beside `target` so that a rename
 * can put it in place. `target` must not exist, or be an empty directory: the result is the
 * archive's tree alone, and a failed run leaves the target as it was.
 */
export async function createStaging(target: string): Promise<string> {
  const existing = await lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing && !existing.isDirectory())
    throw new CpioTargetNotEmptyError(target, 'it exists and is not a directory');
  if (existing && (await readdir(target)).length > 0)
    throw new CpioTargetNotEmptyError(target, 'the directory is not empty');
  await mkdir(dirname(target), { recursive: true });
  // A short prefix: the staging name must fit NAME_MAX however long the target's name is.
  return mkdtemp(join(dirname(target), `.${basename(target).slice(0, 64)}.partial-`));
}

/** Puts the finished tree in place (replacing an empty target directory in one rename). */
export async function commitStaging(staging: string, target: string): Promise<void> {
  try {
    await rename(staging, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR')
      throw new CpioTargetNotEmptyError(target, 'something was put there during the extraction');
    throw error;
  }
}

/**
 * Removes a staging directory after a failure (rm never follows the symlinks inside it). `dirs`
 * (absolute) may already have their final, read-only modes: made writable first so that a
 * non-root run can empty them.
 */
export async function discardStaging(staging: string, dirs: readonly string[] = []): Promise<void> {
  for (const dir of dirs) {
    const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(
      () => undefined,
    );
    await handle?.chmod(0o700).catch(() => undefined);
    await handle?.close();
  }
  await rm(staging, { recursive: true, force: true, maxRetries: 2 });
}
