// Run from a fresh project with the packed tarball installed: packs a tiny tree with a manifest
// and checks the result with unsquashfs through the package's own listing.
import { createSquashfs, listSquashfs, squashfsInfo } from '@distroforge/squashfs-wrap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const work = await mkdtemp(join(tmpdir(), 'squashfs-smoke-'));
try {
  await mkdir(join(work, 'root/etc'), { recursive: true });
  await writeFile(join(work, 'root/etc/shadow'), 'root:*:1:0:99999:7:::\n');
  const manifest = {
    format: 'distroforge-manifest',
    version: 1,
    entries: [
      { path: '/dev/console', type: 'char', major: 5, minor: 1, mode: 0o600 },
      { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 },
    ],
  };
  const output = join(work, 'smoke.sqfs');
  const result = await createSquashfs({
    source: join(work, 'root'),
    output,
    manifest,
    preset: 'dev',
    sourceDateEpoch: 1700000000,
  });
  assert.ok(result.size > 0);
  const entries = await listSquashfs(output);
  assert.deepEqual(
    entries
      .filter((e) => e.path === '/etc/shadow' || e.path === '/dev/console')
      .map((e) => [e.path, e.type, e.uid, e.gid, e.mode]),
    [
      ['/dev/console', 'char', 0, 0, 0o600],
      ['/etc/shadow', 'file', 0, 42, 0o640],
    ],
  );
  assert.equal((await squashfsInfo(output)).mkfsTime, 1700000000);
  console.log('squashfs-wrap smoke ok');
} finally {
  await rm(work, { recursive: true, force: true });
}
