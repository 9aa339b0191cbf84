import { join } from 'node:path';
import { generatePacmanTestRepo, type PacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';

export const PACMAN_TEST_REPO_DIR = join(import.meta.dirname, '../../../.cache/pacman-test-repo/repo');

/** The generated core + extra repositories (built once, cached). */
export function pacmanTestRepo(): Promise<PacmanTestRepo> {
  return generatePacmanTestRepo(PACMAN_TEST_REPO_DIR);
}
