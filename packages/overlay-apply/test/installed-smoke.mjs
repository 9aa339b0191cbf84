// Run from a fresh project where the packed tarball is installed (see e2e/packed-packages.test.ts).
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyManifest } from '@distroforge/core';
import { applyProfile, sha512Crypt, OverlayApplyError } from '@distroforge/overlay-apply';

const root = await mkdtemp(join(tmpdir(), 'overlay-apply-smoke-'));
await mkdir(join(root, 'etc'), { recursive: true });
await mkdir(join(root, 'usr/lib/systemd/system'), { recursive: true });
await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
await writeFile(join(root, 'etc/group'), 'root:x:0:\n');
await writeFile(join(root, 'usr/lib/systemd/system/multi-user.target'), '[Unit]\n');
const { manifest, changes } = await applyProfile({
  root,
  manifest: emptyManifest(),
  sourceDateEpoch: 1700000000,
  hostname: 'smoke',
  users: [{ name: 'smoke', groups: ['kvm'] }],
  services: { defaultTarget: 'multi-user.target' },
});
if ((await readFile(join(root, 'etc/hostname'), 'utf8')) !== 'smoke\n') throw new Error('hostname not written');
if ((await readlink(join(root, 'etc/systemd/system/default.target'))) !== '/usr/lib/systemd/system/multi-user.target')
  throw new Error('default target');
if (!manifest.entries.some((e) => e.path === '/home/smoke' && e.uid === 1000))
  throw new Error('home not owned in manifest');
if (
  sha512Crypt('x', { salt: 'abc' }) !==
  '$6$abc$K4v3HcZ8yAmpRfxML6S46NCcqy9r4/KdbQpFvqSWsBf4dgySOEOo1DHJTrmn2BsJK2aNmPN8Tfb826D2o9.z51'
)
  throw new Error('sha512-crypt');
const error = await applyProfile({ root, manifest, services: { enable: ['nope.service'] } }).catch((e) => e);
if (!(error instanceof OverlayApplyError) || error.code !== 'ERR_UNIT_UNKNOWN')
  throw new Error('expected ERR_UNIT_UNKNOWN');
await rm(root, { recursive: true });
console.log(`overlay-apply ok: ${changes.length} changes`);
