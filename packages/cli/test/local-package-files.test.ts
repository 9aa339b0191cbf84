// extraPackageFiles and kernel.file: the rootfs stage hands the files to rootfs-bootstrap, keys its
// cache on their digests, and refuses bad ones as profile errors naming the key and line. The
// stage cache is replaced by one that records the stage (apt: no bootstrap runs); the RPM stage,
// cheap with tiny packages built here by rpmbuild, runs for real.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ProfileError, Reporter, resolveLock, StageCache, type StageRun } from '@distroforge/cli';
import { profilePaths } from '../src/profile/profile-paths.js';
import { rememberingWalker } from '../src/engine/remembering-walker.js';
import { firmwareFlags, type BuildContext } from '../src/pipeline/build-context.js';
import { bootFilesOnce } from '../src/pipeline/stage-boot-files.js';
import { findKernel } from '../src/pipeline/find-kernel.js';
import { rootfsStage } from '../src/pipeline/stage-rootfs.js';
import { MetadataFloor } from '../src/pipeline/metadata-floor.js';
import type { RootfsStageResult } from '../src/pipeline/rootfs-common.js';
import { loadProfile } from '../src/profile/load-profile.js';

const work = mkdtempSync(join(tmpdir(), 'df-cli-local-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A .deb built with dpkg-deb: `files` maps in-root paths to contents. */
function buildDeb(out: string, control: Record<string, string>, files: Record<string, string>): string {
  const tree = mkdtempSync(join(work, 'deb-'));
  mkdirSync(join(tree, 'DEBIAN'));
  writeFileSync(
    join(tree, 'DEBIAN/control'),
    `${Object.entries({ Maintainer: 'T <t@example.org>', Description: 'test', ...control })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}\n`,
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(tree, path, '..'), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
  mkdirSync(join(out, '..'), { recursive: true });
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', tree, out], { stdio: 'ignore' });
  return out;
}

/** A noarch .rpm built with rpmbuild into `dir`; returns its path. */
function buildRpm(
  dir: string,
  name: string,
  version: string,
  files: Record<string, string>,
  requires: string[] = [],
): string {
  const top = mkdtempSync(join(work, 'rpm-'));
  mkdirSync(join(top, 'SPECS'));
  const install = Object.entries(files).flatMap(([path, text]) => [
    `mkdir -p %{buildroot}${path.slice(0, path.lastIndexOf('/'))}`,
    `printf '%s\\n' '${text}' > %{buildroot}${path}`,
  ]);
  const spec = [
    '%global debug_package %{nil}',
    `Name: ${name}`,
    `Version: ${version}`,
    'Release: 1',
    `Summary: ${name}`,
    'License: MIT',
    'BuildArch: noarch',
    ...requires.map((r) => `Requires: ${r}`),
    '%description',
    name,
    '%install',
    ...install,
    '%files',
    ...Object.keys(files),
    '',
  ].join('\n');
  writeFileSync(join(top, 'SPECS/p.spec'), spec);
  const defines = [`_topdir ${top}`, '_binary_payload w1.gzdio', '__os_install_post %{nil}', '_build_id_links none'];
  execFileSync('rpmbuild', ['-bb', '--quiet', ...defines.flatMap((d) => ['--define', d]), join(top, 'SPECS/p.spec')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const [built] = readdirSync(join(top, 'RPMS/noarch'));
  mkdirSync(dir, { recursive: true });
  renameSync(join(top, 'RPMS/noarch', built!), join(dir, built!));
  return join(dir, built!);
}

function profileDir(name: string, yaml: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'profile.yaml'), yaml);
  return dir;
}

/** Runs the rootfs stage with a cache that records the stage instead of running it (or runs it in `runIn`). */
async function rootfsStageOf(
  dir: string,
  runIn?: string,
): Promise<{ stage: StageRun<RootfsStageResult>; key: string; result?: RootfsStageResult }> {
  const loaded = await loadProfile(dir);
  let stage: StageRun<RootfsStageResult> | undefined;
  let result: RootfsStageResult | undefined;
  const cache = {
    run: async (s: StageRun<RootfsStageResult>) => {
      stage = s;
      if (runIn) {
        mkdirSync(runIn, { recursive: true });
        result = await s.run(runIn, 'key');
      }
      return { name: s.name, key: '', dir: runIn ?? '', result: result!, cached: false, ms: 0 };
    },
  } as unknown as StageCache;
  const reporter = new Reporter({ quiet: true, out: new PassThrough() });
  const metadata = { floor: await MetadataFloor.load(undefined), lockReleases: [], allowRollback: false };
  const ctx: BuildContext = {
    loaded,
    paths: profilePaths(dir),
    reporter,
    cache,
    epoch: 1_700_000_000,
    mode: 'release',
    logFile: join(work, 'build.log'),
    metadata,
    resolveLock: () => resolveLock(loaded),
    walkStageTree: rememberingWalker(),
    bootFilesOf: bootFilesOnce(firmwareFlags(loaded)),
  };
  await rootfsStage(ctx);
  return {
    stage: stage!,
    key: StageCache.key(stage!.name, stage!.inputs, stage!.upstream),
    ...(result ? { result } : {}),
  };
}

async function profileErrorOf(dir: string): Promise<ProfileError> {
  const error = await rootfsStageOf(dir).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProfileError);
  return error as ProfileError;
}

describe('apt profiles with extraPackageFiles and kernel.file', () => {
  const dir = profileDir(
    'apt',
    'name: apt-local\nsource:\n  type: apt\nextraPackageFiles:\n  - pkgs/df-tool.deb\nkernel:\n  file: pkgs/linux-image-df.deb\n',
  );
  const tool = buildDeb(
    join(dir, 'pkgs/df-tool.deb'),
    { Package: 'df-tool', Version: '1.0', Architecture: 'all' },
    { 'usr/share/df-tool/a': 'one\n' },
  );
  const kernel = buildDeb(
    join(dir, 'pkgs/linux-image-df.deb'),
    { Package: 'linux-image-df', Version: '6.0-1', Architecture: 'amd64' },
    { 'boot/vmlinuz-6.0.0-df': 'kernel\n' },
  );

  it('passes the files to the bootstrap; the kernel file replaces the default kernel package', async () => {
    const { stage } = await rootfsStageOf(dir);
    const inputs = stage.inputs as { include: string[]; localPackages: string[] };
    expect(inputs.include).not.toContain('linux-image-amd64');
    expect(inputs.localPackages).toEqual([sha256(tool), sha256(kernel)]);
  });

  it("keys the rootfs stage on the files' content", async () => {
    const before = (await rootfsStageOf(dir)).key;
    expect((await rootfsStageOf(dir)).key).toBe(before);
    buildDeb(tool, { Package: 'df-tool', Version: '1.0', Architecture: 'all' }, { 'usr/share/df-tool/a': 'two\n' });
    const after = (await rootfsStageOf(dir)).key;
    expect(after).not.toBe(before);
  });

  it('refuses a missing file as a profile error naming the key and its line', async () => {
    const missing = profileDir(
      'apt-missing',
      'name: apt-missing\nsource: { type: apt }\nextraPackageFiles:\n  - pkgs/here.deb\n  - pkgs/gone.deb\n',
    );
    buildDeb(
      join(missing, 'pkgs/here.deb'),
      { Package: 'df-here', Version: '1', Architecture: 'all' },
      { 'usr/share/df-here/a': 'a\n' },
    );
    const e = await profileErrorOf(missing);
    expect(e).toMatchObject({
      code: 'ERR_PROFILE_INVALID',
      key: 'extraPackageFiles.1',
      line: 5,
      path: `${join(missing, 'profile.yaml')}:5:5`,
    });
    expect(e.message).toContain(join(missing, 'pkgs/gone.deb'));
    const noKernel = profileDir(
      'apt-no-kernel',
      'name: apt-no-kernel\nsource: { type: apt }\nkernel: { file: ./nothing.deb }\n',
    );
    expect(await profileErrorOf(noKernel)).toMatchObject({ key: 'kernel.file', line: 3 });
  });

  it("refuses an .rpm for an apt source, a non-package, and a kernel.package that is not kernel.file's", async () => {
    const rpmProfile = profileDir('apt-rpm', 'name: apt-rpm\nsource: { type: apt }\nextraPackageFiles: [x.rpm]\n');
    buildRpm(rpmProfile, 'df-x', '1.0', { '/usr/share/df-x/a': 'a' });
    renameSync(
      readdirSync(rpmProfile)
        .map((f) => join(rpmProfile, f))
        .find((f) => f.endsWith('.noarch.rpm'))!,
      join(rpmProfile, 'x.rpm'),
    );
    const e = await profileErrorOf(rpmProfile);
    expect(e).toMatchObject({ key: 'extraPackageFiles.0', line: 3 });
    expect(e.message).toMatch(/is a \.rpm package; source\.type apt installs \.deb files/);
    const text = profileDir('apt-text', 'name: apt-text\nsource: { type: apt }\nkernel:\n  file: notes.txt\n');
    writeFileSync(join(text, 'notes.txt'), 'hello\n');
    expect(await profileErrorOf(text)).toMatchObject({
      key: 'kernel.file',
      line: 4,
      message: expect.stringMatching(/neither a \.deb, an \.rpm nor a pacman package/),
    });
    const both = profileDir(
      'apt-both',
      'name: apt-both\nsource: { type: apt }\nkernel:\n  package: linux-image-amd64\n  file: k.deb\n',
    );
    buildDeb(
      join(both, 'k.deb'),
      { Package: 'linux-image-df', Version: '1', Architecture: 'amd64' },
      { 'boot/vmlinuz-1': 'k\n' },
    );
    expect(await profileErrorOf(both)).toMatchObject({
      key: 'kernel.package',
      line: 4,
      message: expect.stringContaining('linux-image-df'),
    });
  });
});

describe('RPM profiles with extraPackageFiles and kernel.file', () => {
  it("installs the files; the kernel file's package is the kernel the image boots", async () => {
    const dir = profileDir(
      'rpm',
      'name: rpm-local\nsource:\n  type: rpm-dir\n  location: ./rpms\nextraPackageFiles: [local/extra.rpm]\nkernel:\n  file: local/kernel.rpm\n',
    );
    buildRpm(join(dir, 'rpms'), 'df-dep', '1.0', { '/usr/share/df-dep/a': 'dep' });
    // The repository's own kernel (newer) must not be installed: kernel.file replaces it.
    buildRpm(join(dir, 'rpms'), 'kernel', '9.9', {
      '/boot/vmlinuz-9.9.9-repo': 'repo kernel',
      '/lib/modules/9.9.9-repo/modules.builtin': '',
    });
    const extra = buildRpm(join(dir, 'built'), 'df-extra', '1.0', { '/usr/share/df-extra/a': 'extra' }, ['df-dep']);
    const kernel = buildRpm(join(dir, 'built'), 'kernel-df', '6.0', {
      '/boot/vmlinuz-6.0.0-df': 'df kernel',
      '/lib/modules/6.0.0-df/modules.builtin': '',
    });
    mkdirSync(join(dir, 'local'));
    renameSync(extra, join(dir, 'local/extra.rpm'));
    renameSync(kernel, join(dir, 'local/kernel.rpm'));
    const stageDir = join(work, 'rpm-stage');
    const { stage, result } = await rootfsStageOf(dir, stageDir);
    expect((stage.inputs as { include: string[] }).include).toEqual([]);
    expect(result!.packages.map((p) => `${p.name} ${p.version}`)).toEqual([
      'df-dep 1.0-1',
      'df-extra 1.0-1',
      'kernel-df 6.0-1',
    ]);
    expect(result!.packages.find((p) => p.name === 'kernel-df')).toMatchObject({
      sha256: sha256(join(dir, 'local/kernel.rpm')),
      localFile: join(dir, 'local/kernel.rpm'),
    });
    const found = await findKernel(join(stageDir, 'rootfs'));
    expect(found.version).toBe('6.0.0-df');
    expect(readFileSync(found.vmlinuz, 'utf8')).toBe('df kernel\n');
    expect(readFileSync(join(stageDir, 'rootfs/usr/share/df-extra/a'), 'utf8')).toBe('extra\n');
    // The key holds the resolved packages' digests: another extra file re-runs the stage.
    const before = (await rootfsStageOf(dir)).key;
    const changed = buildRpm(join(dir, 'built2'), 'df-extra', '1.0', { '/usr/share/df-extra/a': 'changed' }, [
      'df-dep',
    ]);
    renameSync(changed, join(dir, 'local/extra.rpm'));
    expect((await rootfsStageOf(dir)).key).not.toBe(before);
  });
});
