// Run from a fresh project with the packed tarball installed: builds a tiny .deb with dpkg-deb and
// unpacks it with the package, then checks version comparison and relation parsing; builds two
// tiny rpms with rpmbuild and installs one (and its dependency) from the folder as a comps group,
// reporting their (absent) signatures.
import {
  bootstrapRpmRootfs,
  compareDebVersions,
  compareRpmVersions,
  parseRelations,
  readArMembers,
  unpackDeb,
} from '@distroforge/rootfs-bootstrap';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const work = await mkdtemp(join(tmpdir(), 'rootfs-bootstrap-smoke-'));
try {
  const tree = join(work, 'tree');
  await mkdir(join(tree, 'DEBIAN'), { recursive: true });
  await mkdir(join(tree, 'usr/bin'), { recursive: true });
  await writeFile(
    join(tree, 'DEBIAN/control'),
    'Package: smoke\nVersion: 1:1.0~rc1-1\nArchitecture: all\nMaintainer: s <s@example.org>\nDescription: smoke\n',
  );
  await writeFile(join(tree, 'usr/bin/smoke'), '#!/bin/sh\necho smoke\n');
  await chmod(join(tree, 'usr/bin/smoke'), 0o4755);
  const deb = join(work, 'smoke.deb');
  execFileSync('dpkg-deb', ['-Zxz', '--root-owner-group', '--build', tree, deb], { stdio: 'ignore' });
  assert.deepEqual(
    (await readArMembers(deb)).map((m) => m.name),
    ['debian-binary', 'control.tar.xz', 'data.tar.xz'],
  );
  const root = join(work, 'root');
  await mkdir(root);
  const result = await unpackDeb(deb, root, { chown: false });
  assert.equal(await readFile(join(root, 'usr/bin/smoke'), 'utf8'), '#!/bin/sh\necho smoke\n');
  assert.deepEqual(result.manifest, [{ path: '/usr/bin/smoke', uid: 0, gid: 0, mode: 0o4755 }]);
  assert.ok(compareDebVersions('1:1.0~rc1-1', '1:1.0-1') < 0);
  assert.deepEqual(parseRelations('a (>= 1) | b:any'), [
    [
      { name: 'a', operator: '>=', version: '1' },
      { name: 'b', archQualifier: 'any' },
    ],
  ]);
  assert.equal(compareRpmVersions('1.0~rc1', '1.0'), -1);
  assert.equal(compareRpmVersions('1.0^git1', '1.0'), 1);

  const top = join(work, 'rpmbuild');
  await mkdir(join(top, 'SPECS'), { recursive: true });
  const spec = join(top, 'SPECS', 'smoke.spec');
  await writeFile(
    spec,
    [
      'Name: smoke-rpm',
      'Version: 1.0',
      'Release: 1',
      'Summary: s',
      'License: MIT',
      'BuildArch: noarch',
      'Requires: (smoke-dep >= 1 or smoke-none)',
      '%description',
      's',
      '%install',
      'mkdir -p %{buildroot}/opt',
      'echo app > %{buildroot}/opt/app',
      '%files',
      '/opt/app',
      '%package -n smoke-dep',
      'Summary: d',
      '%description -n smoke-dep',
      'd',
      '%files -n smoke-dep',
      '%dir /opt',
      '',
    ].join('\n'),
  );
  execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, spec], { stdio: 'ignore' });
  // A comps group next to the packages, and the (absent) signatures reported.
  await writeFile(
    join(top, 'RPMS', 'comps.xml'),
    '<comps><group><id>smoke</id><name>Smoke</name><packagelist><packagereq type="mandatory">smoke-rpm</packagereq></packagelist></group></comps>',
  );
  const rpmRoot = join(work, 'rpm-root');
  const rpmResult = await bootstrapRpmRootfs({
    source: `rpm-dir:${join(top, 'RPMS')}`,
    include: ['@smoke'],
    target: rpmRoot,
    cacheDir: join(work, 'cache'),
    architecture: 'x86_64',
    gpgCheck: 'report',
  });
  assert.deepEqual(
    rpmResult.packages.map((p) => p.name),
    ['smoke-dep', 'smoke-rpm'],
  );
  assert.deepEqual(
    rpmResult.packages.map((p) => p.chain),
    [
      ['@smoke', 'smoke-rpm', 'smoke-dep'],
      ['@smoke', 'smoke-rpm'],
    ],
  );
  assert.deepEqual(
    rpmResult.gpg.packages.map((p) => [p.package, p.signed, p.verified]),
    [
      ['smoke-dep', false, false],
      ['smoke-rpm', false, false],
    ],
  );
  assert.deepEqual(rpmResult.order, ['smoke-dep', 'smoke-rpm']);
  assert.equal(await readFile(join(rpmRoot, 'opt/app'), 'utf8'), 'app\n');
  console.log('rootfs-bootstrap smoke ok');
} finally {
  await rm(work, { recursive: true, force: true });
}
