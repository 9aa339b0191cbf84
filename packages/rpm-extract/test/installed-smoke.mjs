// Run from a fresh project with the packed tarball installed (cwd = that project): builds a tiny
// RPM with rpmbuild, then reads, verifies and extracts it through the package's public API.
import { extractRpm, listRpm, readRpm, verifyRpm } from '@distroforge/rpm-extract';
import { execa } from 'execa';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = await mkdtemp(join(tmpdir(), 'rpm-extract-smoke-'));
try {
  const top = join(work, 'top');
  await mkdir(top);
  const spec = join(top, 'smoke.spec');
  await writeFile(
    spec,
    'Name: smoke\nVersion: 1\nRelease: 1\nSummary: smoke\nLicense: MIT\nBuildArch: noarch\n%description\nsmoke\n' +
      '%install\nmkdir -p %{buildroot}/opt/smoke\nprintf hi > %{buildroot}/opt/smoke/hi\nln -s hi %{buildroot}/opt/smoke/link\n%files\n/opt/smoke\n',
  );
  await execa('rpmbuild', [
    '-bb',
    '--quiet',
    '--define',
    `_topdir ${top}`,
    '--define',
    '_binary_payload w9.xzdio',
    '--define',
    '__os_install_post %{nil}',
    spec,
  ]);
  const dir = join(top, 'RPMS/noarch');
  const rpm = join(dir, (await readdir(dir))[0]);
  const pkg = await readRpm(rpm);
  assert.equal(pkg.nevra, 'smoke-1-1.noarch');
  assert.deepEqual(
    (await listRpm(rpm)).map((f) => [f.path, f.type]),
    [
      ['/opt/smoke', 'dir'],
      ['/opt/smoke/hi', 'file'],
      ['/opt/smoke/link', 'symlink'],
    ],
  );
  assert.equal((await verifyRpm(rpm)).ok, true);
  const result = await extractRpm(rpm, join(work, 'root'));
  assert.equal(await readFile(join(work, 'root/opt/smoke/hi'), 'utf8'), 'hi');
  assert.equal(result.filesWritten, 2);
  console.log('rpm-extract smoke ok');
} finally {
  await rm(work, { recursive: true, force: true });
}
