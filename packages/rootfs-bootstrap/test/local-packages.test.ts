// localPackages on an apt source: tiny .debs built here with dpkg-deb join a real bookworm bootstrap
// (the essential set, from the host's mirror with the shared package cache) as an extra repository
// that wins over the mirror. Oracle: dpkg's own status database of the target.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  copyFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapRootfs,
  LocalPackageError,
  packageFileFormat,
  readPackageFileInfo,
  resolveRootfs,
  UnsatisfiableError,
  type BootstrapResult,
} from '../src/index.js';
import { generatePacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { buildDeb, buildRpm } from './local-package-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-local-'));
const target = join(work, 'rootfs');
const debs = {
  // Depends on a mirror package the essential set lacks; its postinst must run in the chroot.
  tool: buildDeb(work, {
    control: { Package: 'df-local-tool', Version: '1.0-1', Architecture: 'all', Depends: 'tree (>= 2.0)' },
    files: { 'usr/share/df-local-tool/README': 'local tool\n' },
    postinst:
      '#!/bin/sh\nset -e\nmkdir -p /var/lib/df-local-tool\necho "configured $1" > /var/lib/df-local-tool/state\n',
  }),
  // The mirror has hello 2.10-3: the local, older one must still win.
  olderHello: buildDeb(work, {
    control: { Package: 'hello', Version: '0.1-local', Architecture: 'amd64' },
    files: { 'usr/share/df-local-hello/marker': 'older\n' },
  }),
  newerHello: buildDeb(work, {
    control: { Package: 'hello', Version: '99.0-local', Architecture: 'all' },
    files: { 'usr/share/df-local-hello/marker': 'newer\n' },
  }),
  broken: buildDeb(work, {
    control: { Package: 'df-local-broken', Version: '1.0', Architecture: 'all', Depends: 'df-no-such-package' },
    files: { 'usr/share/df-local-broken/x': 'x\n' },
  }),
  arm: buildDeb(work, {
    control: { Package: 'df-local-arm', Version: '1.0', Architecture: 'arm64' },
    files: { 'usr/share/df-local-arm/x': 'x\n' },
  }),
};
const request = { suite: 'bookworm', variant: 'essential' as const };
let result: BootstrapResult;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const dpkgStatus = (name: string) =>
  execFileSync('dpkg', [`--admindir=${join(target, 'var/lib/dpkg')}`, '-s', name], { encoding: 'utf8' });

beforeAll(async () => {
  result = await bootstrapRootfs({
    ...request,
    target,
    localPackages: [debs.tool, debs.olderHello],
    configure: 'always',
  });
}, 20 * 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bootstrapRootfs with localPackages (apt)', () => {
  it('installs and configures a local package and the mirror package it depends on (dpkg status as oracle)', () => {
    expect(dpkgStatus('df-local-tool')).toMatch(/^Status: install ok installed$/m);
    expect(dpkgStatus('df-local-tool')).toMatch(/^Version: 1\.0-1$/m);
    expect(dpkgStatus('tree')).toMatch(/^Status: install ok installed$/m);
    expect(readFileSync(join(target, 'usr/share/df-local-tool/README'), 'utf8')).toBe('local tool\n');
    expect(readFileSync(join(target, 'var/lib/df-local-tool/state'), 'utf8')).toBe('configured configure\n');
    expect(existsSync(join(target, 'usr/bin/tree'))).toBe(true);
    expect(result.maintainerScripts).toContainEqual({ package: 'df-local-tool', scripts: ['postinst'] });
  });

  it('installs the local package instead of the mirror package of the same name, even when older', () => {
    expect(dpkgStatus('hello')).toMatch(/^Version: 0\.1-local$/m);
    expect(readFileSync(join(target, 'usr/share/df-local-hello/marker'), 'utf8')).toBe('older\n');
    expect(existsSync(join(target, 'usr/bin/hello'))).toBe(false); // the mirror's hello ships it
    expect(readFileSync(join(target, 'var/lib/dpkg/info/hello.list'), 'utf8')).toContain(
      '/usr/share/df-local-hello/marker',
    );
  });

  it('lists local packages with their SHA-256, origin local, the file, and chains starting at the file', () => {
    const byName = new Map(result.packages.map((p) => [p.name, p]));
    expect(byName.get('df-local-tool')).toMatchObject({
      version: '1.0-1',
      origin: 'local',
      localFile: debs.tool,
      sha256: sha256(debs.tool),
      chain: [debs.tool, 'df-local-tool'],
    });
    expect(byName.get('hello')).toMatchObject({
      version: '0.1-local',
      origin: 'local',
      localFile: debs.olderHello,
      sha256: sha256(debs.olderHello),
    });
    expect(byName.get('tree')).toMatchObject({ origin: 'bookworm', chain: [debs.tool, 'df-local-tool', 'tree'] });
    expect(byName.get('tree')?.localFile).toBeUndefined();
    expect(result.packages.filter((p) => p.origin === 'local').map((p) => p.name)).toEqual(['df-local-tool', 'hello']);
  });
});

describe('resolveRootfs with localPackages (apt)', () => {
  it('prefers a newer local package over the mirror the same way', async () => {
    const dry = await resolveRootfs({ ...request, localPackages: [debs.newerHello] });
    expect(dry.packages.find((p) => p.name === 'hello')).toMatchObject({
      version: '99.0-local',
      origin: 'local',
      sha256: sha256(debs.newerHello),
    });
  });

  it('names the local file when its dependency is in no repository', async () => {
    const error = await resolveRootfs({ ...request, localPackages: [debs.broken] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsatisfiableError);
    expect(error).toMatchObject({
      code: 'ERR_BOOTSTRAP_UNSATISFIABLE',
      path: debs.broken,
      chain: [debs.broken, 'df-local-broken', 'df-no-such-package'],
    });
    expect((error as Error).message).toContain(debs.broken);
  });

  it('refuses missing, foreign-format, corrupt, duplicate and foreign-architecture files with the path and a hint', async () => {
    const rpm = buildRpm(work, { name: 'df-some-rpm', version: '1.0', files: { '/usr/share/df-some-rpm/x': 'x' } });
    const text = join(work, 'notes.deb');
    writeFileSync(text, 'not a package\n');
    const truncated = join(work, 'truncated.deb');
    copyFileSync(debs.tool, truncated);
    truncateSync(truncated, 200);
    const cases: [string[], RegExp][] = [
      [[join(work, 'missing.deb')], /no such file/],
      [[rpm], /is a \.rpm package; an apt source installs \.deb files/],
      [[text], /is not a \.deb package/],
      [[truncated], /unreadable or corrupt/],
      [[debs.olderHello, debs.newerHello], /package hello is also given as/],
      [[debs.arm], /built for arm64, the target is amd64/],
    ];
    for (const [files, message] of cases) {
      const error = await resolveRootfs({ ...request, localPackages: files }).catch((e: unknown) => e);
      expect(error, files.join(' ')).toBeInstanceOf(LocalPackageError);
      expect(error).toMatchObject({
        code: 'ERR_BOOTSTRAP_LOCAL_PACKAGE',
        path: files.at(-1),
        hint: expect.stringContaining('localPackages'),
      });
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('readPackageFileInfo', () => {
  it('reads name, version, architecture and digest of a .deb and an .rpm (dpkg-deb and rpm as oracles)', async () => {
    const deb = await readPackageFileInfo(debs.olderHello);
    expect(deb).toEqual({
      file: debs.olderHello,
      format: 'deb',
      name: 'hello',
      version: '0.1-local',
      architecture: 'amd64',
      sha256: sha256(debs.olderHello),
      size: readFileSync(debs.olderHello).length,
    });
    expect(execFileSync('dpkg-deb', ['-f', debs.olderHello, 'Package', 'Version'], { encoding: 'utf8' })).toBe(
      'Package: hello\nVersion: 0.1-local\n',
    );
    const file = buildRpm(work, {
      name: 'df-info',
      version: '2.5',
      release: '3',
      files: { '/usr/share/df-info/x': 'x' },
    });
    const rpm = await readPackageFileInfo(file);
    expect(rpm).toMatchObject({ format: 'rpm', name: 'df-info', architecture: 'noarch', sha256: sha256(file) });
    expect(rpm.version).toBe(execFileSync('rpm', ['-qp', '--qf', '%{VERSION}-%{RELEASE}', file], { encoding: 'utf8' }));
    await expect(readPackageFileInfo(join(work, 'nothing.deb'))).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_LOCAL_PACKAGE',
      path: join(work, 'nothing.deb'),
    });
  });

  it("reads a pacman package's name, version and architecture from its .PKGINFO (pacman -Qp as oracle), zstd or plain, whatever its file name", async () => {
    const generated = await generatePacmanTestRepo(
      join(import.meta.dirname, '..', '..', '..', '.cache', 'pacman-test-repo', 'repo'),
    );
    const name = readdirSync(join(generated.dir, 'extra')).find(
      (f) => f.startsWith('app-') && f.endsWith('.pkg.tar.zst'),
    )!;
    const file = join(generated.dir, 'extra', name);
    const info = await readPackageFileInfo(file);
    expect(info).toMatchObject({ file, format: 'pacman', name: 'app', sha256: sha256(file) });
    expect(`${info.name} ${info.version}`).toBe(execFileSync('pacman', ['-Qp', file], { encoding: 'utf8' }).trim());
    expect(info.architecture).toBe(/^app-[^-]+-[^-]+-([^.]+)\.pkg/.exec(name)![1]);
    const plain = join(work, 'renamed.bin');
    writeFileSync(plain, execFileSync('zstd', ['-dc', file]));
    expect(await packageFileFormat(plain)).toBe('pacman');
    expect(await readPackageFileInfo(plain)).toMatchObject({ format: 'pacman', name: 'app', version: info.version });
    // A sync database is a tar of the same compression, but no package.
    expect(await packageFileFormat(generated.repos[0]!.db)).toBeUndefined();
    await expect(readPackageFileInfo(generated.repos[0]!.db)).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_LOCAL_PACKAGE',
    });
  });
});
