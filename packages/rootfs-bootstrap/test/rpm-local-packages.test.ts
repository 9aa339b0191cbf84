// localPackages on rpm sources: tiny .rpms built here with rpmbuild join the generated test
// repository (as rpm-dir and as rpm-repo) as an extra repository that wins over it. Oracle for the
// dependencies pulled from the repository: dnf installing the same local file.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapRpmRootfs,
  LocalPackageError,
  resolveRpmRootfs,
  UnsatisfiableError,
  type RpmBootstrapResult,
} from '../src/index.js';
import { buildDeb, buildRpm } from './local-package-fixtures.js';
import { dnfInstall, rpmOn } from './rpm-el-helpers.js';
import { dnfInstallSet, rpmTestRepo } from './rpm-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-rpm-local-'));
const cacheDir = join(work, 'cache');
const rpms = {
  // Requires a repository package (df-lib >= 2.0) and /bin/sh for its %post.
  tool: buildRpm(work, {
    name: 'df-local-tool',
    version: '1.0',
    requires: ['df-lib >= 2.0', '/bin/sh'],
    files: { '/usr/share/df-local-tool/README': 'local tool' },
    post: 'mkdir -p /var/lib/df-local-tool && echo "configured $1" > /var/lib/df-local-tool/state',
  }),
  // The repository has df-oldapp 1.0-1: the local, older one must still win.
  oldapp: buildRpm(work, { name: 'df-oldapp', version: '0.5', files: { '/usr/share/df-df-oldapp/version': '0.5' } }),
  broken: buildRpm(work, {
    name: 'df-local-broken',
    version: '1.0',
    requires: ['df-no-such-package'],
    files: { '/usr/share/df-local-broken/x': 'x' },
  }),
};
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
let repoDir: string;
let result: RpmBootstrapResult;
const target = join(work, 'root');

beforeAll(async () => {
  repoDir = (await rpmTestRepo()).dir;
  result = await bootstrapRpmRootfs({
    source: `rpm-dir:${repoDir}`,
    localPackages: [rpms.tool, rpms.oldapp],
    cacheDir,
    architecture: 'x86_64',
    target,
    scriptlets: true,
  });
}, 10 * 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bootstrapRpmRootfs with localPackages (rpm-dir)', () => {
  it('pulls the dependencies dnf pulls for the same local file from the repository', async () => {
    const repository = result.packages
      .filter((p) => p.origin !== 'local')
      .map((p) => `${p.name}-${p.version}.${p.architecture}`);
    expect(repository).toEqual(await dnfInstallSet(repoDir, [rpms.tool, rpms.oldapp]));
    expect(repository).toContain('df-lib-2.0-1.noarch');
  });

  it('extracts local packages and runs their %post like any other package', () => {
    expect(readFileSync(join(target, 'usr/share/df-local-tool/README'), 'utf8')).toBe('local tool\n');
    expect(readFileSync(join(target, 'var/lib/df-local-tool/state'), 'utf8')).toBe('configured 1\n');
    expect(result.scriptlets.ran).toContainEqual({ package: 'df-local-tool', scriptlets: ['post'] });
    expect(result.order.indexOf('df-lib')).toBeLessThan(result.order.indexOf('df-local-tool'));
  });

  it('installs the local package instead of the repository package of the same name, even when older', () => {
    expect(readFileSync(join(target, 'usr/share/df-df-oldapp/version'), 'utf8')).toBe('0.5\n');
    expect(result.packages.find((p) => p.name === 'df-oldapp')).toMatchObject({
      version: '0.5-1',
      origin: 'local',
      localFile: rpms.oldapp,
      sha256: sha256(rpms.oldapp),
      chain: [rpms.oldapp, 'df-oldapp'],
    });
  });

  it('lists local packages with their SHA-256 and chains starting at the file', () => {
    expect(result.packages.find((p) => p.name === 'df-local-tool')).toMatchObject({
      version: '1.0-1',
      origin: 'local',
      localFile: rpms.tool,
      sha256: sha256(rpms.tool),
    });
    expect(result.packages.find((p) => p.name === 'df-lib')).toMatchObject({
      origin: `rpm-dir:${repoDir}`,
      chain: [rpms.tool, 'df-local-tool', 'df-lib'],
    });
  });
});

describe('rpm-repo with localPackages', () => {
  it('fetches a local package like the repository packages (verified into the cache) and installs it', async () => {
    const root = join(work, 'root-repo');
    const fromRepo = await bootstrapRpmRootfs({
      source: `rpm-repo:file://${repoDir}`,
      localPackages: [rpms.oldapp],
      include: ['df-lib'],
      cacheDir,
      architecture: 'x86_64',
      target: root,
    });
    expect(fromRepo.packages.find((p) => p.name === 'df-oldapp')).toMatchObject({
      version: '0.5-1',
      origin: 'local',
      sha256: sha256(rpms.oldapp),
    });
    expect(readFileSync(join(root, 'usr/share/df-df-oldapp/version'), 'utf8')).toBe('0.5\n');
    expect(rpmOn(root, ['-q', 'df-oldapp']).stdout).toBe('df-oldapp-0.5-1.noarch\n');
    expect(readFileSync(join(cacheDir, 'debs', `${sha256(rpms.oldapp)}.deb`)).equals(readFileSync(rpms.oldapp))).toBe(
      true,
    );
  });

  it('refuses a local package another one of the request obsoletes (rpm would leave it out), as dnf refuses it', async () => {
    const root = join(work, 'root-obsoleted');
    const error = await bootstrapRpmRootfs({
      source: `rpm-repo:file://${repoDir}`,
      localPackages: [rpms.oldapp],
      include: ['df-app'],
      cacheDir,
      architecture: 'x86_64',
      target: root,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsatisfiableError);
    expect((error as UnsatisfiableError).message).toContain(
      "rpm's transaction leaves df-oldapp-0.5-1.noarch out: another package of the request obsoletes it",
    );
    expect(existsSync(root)).toBe(false);
    // dnf: "package df-app-2.0-1.noarch obsoletes df-oldapp < 2.0 provided by df-oldapp-0.5-1.noarch".
    const dnf = dnfInstall(repoDir, ['df-app', rpms.oldapp]);
    try {
      expect(dnf.status).not.toBe(0);
      expect(dnf.output).toContain('obsoletes df-oldapp < 2.0 provided by df-oldapp-0.5-1.noarch');
    } finally {
      rmSync(dnf.dir, { recursive: true, force: true });
    }
  });

  it('names the local file when its dependency is in no repository', async () => {
    const error = await resolveRpmRootfs({
      source: `rpm-repo:file://${repoDir}`,
      localPackages: [rpms.broken],
      cacheDir,
      architecture: 'x86_64',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsatisfiableError);
    expect(error).toMatchObject({ path: rpms.broken, chain: [rpms.broken, 'df-local-broken', 'df-no-such-package'] });
  });

  it('needs include or localPackages', async () => {
    await expect(resolveRpmRootfs({ source: `rpm-dir:${repoDir}`, cacheDir })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_OPTIONS',
      value: 'include',
    });
  });

  it('refuses a .deb and a missing file with the path and a hint', async () => {
    const deb = buildDeb(work, {
      control: { Package: 'df-a-deb', Version: '1.0', Architecture: 'all' },
      files: { 'usr/share/df-a-deb/x': 'x\n' },
    });
    for (const [file, message] of [
      [deb, /is a \.deb package; an rpm source installs \.rpm files/],
      [join(work, 'missing.rpm'), /no such file/],
    ] as const) {
      const error = await resolveRpmRootfs({
        source: `rpm-dir:${repoDir}`,
        localPackages: [file],
        cacheDir,
        architecture: 'x86_64',
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LocalPackageError);
      expect(error).toMatchObject({
        code: 'ERR_BOOTSTRAP_LOCAL_PACKAGE',
        path: file,
        hint: expect.stringContaining('localPackages'),
      });
      expect((error as Error).message).toMatch(message);
    }
  });
});
