import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRpmTestRepo, type RpmTestRepo } from '../../../tools/rpm-test-repo/generate.mjs';

/** Where the generated repository is cached between runs (keyed by its inputs, see generate.mjs). */
export const RPM_TEST_REPO_DIR = join(import.meta.dirname, '../../../.cache/rpm-test-repo/repo');

/** The shared generated repository (read-only for tests: copy it before changing anything). */
export function rpmTestRepo(): Promise<RpmTestRepo> {
  return generateRpmTestRepo(RPM_TEST_REPO_DIR);
}

/**
 * A private copy of the test repository (tools/rpm-test-repo/generate.mjs: the dependency-form
 * packages, the bootable rocky-like set, comps.xml and repodata) in a new temp folder `dir`,
 * as `<dir>/rpms`.
 */
export async function buildFixtureRpms(): Promise<{ dir: string; rpms: string; repo: RpmTestRepo }> {
  const repo = await rpmTestRepo();
  const dir = await mkdtemp(join(tmpdir(), 'rootfs-bootstrap-rpm-'));
  const rpms = join(dir, 'rpms');
  await cp(repo.dir, rpms, { recursive: true, preserveTimestamps: true });
  return { dir, rpms, repo };
}
