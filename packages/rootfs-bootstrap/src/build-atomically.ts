import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BootstrapError } from './errors.js';

/** Mount points at or below `dir` (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) =>
      line.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
    )
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(`${dir}/`)));
}

/**
 * Like core's `writeAtomically`, for a root filesystem: builds in a sibling temp directory and
 * renames it into place on success. On failure the temp tree is removed only when nothing is
 * mounted below it — a recursive delete must never reach the host's /dev or /sys — after
 * `reclaim` (when given) made all of it the builder's again.
 */
export async function buildAtomically<T>(
  target: string,
  produce: (temp: string) => Promise<T>,
  reclaim?: (temp: string) => Promise<void>,
): Promise<T> {
  const temp = join(dirname(target), `.${basename(target)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const result = await produce(temp);
    await rmdir(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(temp, target);
    return result;
  } catch (error) {
    const left = await mountsUnder(temp);
    if (left.length > 0) {
      throw new BootstrapError('ERR_BOOTSTRAP_MOUNTS_LEFT', `mounts remain under ${temp}; the partial tree was kept`, {
        path: temp,
        value: left,
        hint: `unmount them (umount -R ${left.join(' ')}) and remove ${temp}`,
        cause: error,
      });
    }
    // Files the image's scripts gave other ids belong to ids the builder cannot remove.
    if (reclaim) await reclaim(temp).catch(() => undefined);
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
