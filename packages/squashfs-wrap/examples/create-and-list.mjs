// Pack a tiny rootfs with a manifest (no root needed), then list the image with unsquashfs.
import { emptyManifest, mergeManifest } from '@distroforge/core';
import { createSquashfs, listSquashfs, squashfsInfo } from '@distroforge/squashfs-wrap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = await mkdtemp(join(tmpdir(), 'squashfs-example-'));
const root = join(work, 'root');
await mkdir(join(root, 'etc'), { recursive: true });
await writeFile(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n'); // owned by you, mode 0644

const manifest = mergeManifest(emptyManifest(), [
  { path: '/', uid: 0, gid: 0, mode: 0o755 },
  { path: '/etc', uid: 0, gid: 0, mode: 0o755 },
  { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 },
  { path: '/dev/console', type: 'char', major: 5, minor: 1, mode: 0o600 },
]);
const result = await createSquashfs({ source: root, output: join(work, 'root.sqfs'), manifest, preset: 'dev', sourceDateEpoch: 1700000000 });
const info = await squashfsInfo(result.output);
console.log(`${info.compression} block ${info.blockSize}, ${info.inodeCount} inodes, mkfs time ${info.mkfsTime}`);
for (const e of await listSquashfs(result.output)) {
  const mode = e.mode.toString(8).padStart(4, '0');
  console.log(`${e.type.padEnd(5)} ${mode} ${e.uid}/${e.gid} ${e.major === undefined ? '' : `${e.major},${e.minor} `}${e.path}`);
}
await rm(work, { recursive: true });
