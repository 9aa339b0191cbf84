import { readdir, stat } from 'node:fs/promises';
import { TargetNotEmptyError } from './errors.js';

/**
 * Refuses a target that exists and is not an empty directory (a missing one is created later).
 * A file of its own: every source's bootstrap calls it, and importing it from the apt bootstrap
 * made a pacman run load the apt code (openpgp, tar, xz) along with it.
 */
export async function assertEmptyTarget(target: string): Promise<void> {
  const stats = await stat(target).catch(() => undefined);
  if (!stats) return;
  if (!stats.isDirectory() || (await readdir(target)).length > 0) throw new TargetNotEmptyError(target);
}
