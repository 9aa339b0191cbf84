import { execa } from 'execa';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
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

/**
 * The packages (`name-evr.arch`, sorted) dnf would install into an empty root for `include`
 * (names, paths or `@group`s) from the repository at `repo`, read from its transaction summary.
 */
export async function dnfInstallSet(
  repo: string,
  include: string[],
  extra: { weakDeps?: boolean; architecture?: string; groupPackageTypes?: string[] } = {},
): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'rootfs-bootstrap-dnf-'));
  try {
    const conf = join(work, 'dnf.conf');
    await writeFile(
      conf,
      `[main]\nreposdir=/dev/null\ncachedir=${join(work, 'cache')}\n[df]\nname=df\nbaseurl=file://${repo}\ngpgcheck=0\n`,
    );
    const args = [
      '-c',
      conf,
      '--installroot',
      join(work, 'root'),
      '--releasever',
      '1',
      '--forcearch',
      extra.architecture ?? 'x86_64',
      '--assumeno',
    ];
    if (extra.weakDeps === false) args.push('--setopt=install_weak_deps=False');
    if (extra.groupPackageTypes) args.push(`--setopt=group_package_types=${extra.groupPackageTypes.join(',')}`);
    const result = await execa('dnf', [...args, 'install', ...include], { reject: false, timeout: 120_000 });
    const rows = [...`${result.stdout}`.matchAll(/^ (\S+)\s+(noarch|x86_64|i686)\s+(\S+)\s+df\s/gm)].map(
      (m) => `${m[1]}-${m[3]}.${m[2]}`,
    );
    if (rows.length === 0)
      throw new Error(`dnf resolved nothing for ${include.join(' ')}:\n${result.stdout}\n${result.stderr}`);
    return rows.sort();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
