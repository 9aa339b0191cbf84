// Packs a small tree into a gzip-compressed initramfs, with a manifest that adds /dev/console
// (no root needed), then lists it back.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCpio, packCpio } from '@distroforge/initramfs-cpio';

const work = await mkdtemp(join(tmpdir(), 'initramfs-example-'));
const tree = join(work, 'tree');
await mkdir(join(tree, 'bin'), { recursive: true });
await writeFile(join(tree, 'init'), '#!/bin/sh\necho hello from init\n', { mode: 0o755 });

await packCpio({
  input: {
    directory: tree,
    owner: 'root',
    manifest: {
      format: 'distroforge-manifest',
      version: 1,
      entries: [{ path: '/dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 }],
    },
  },
  output: join(work, 'initramfs.img'),
  compress: 'gzip',
  sourceDateEpoch: 1_700_000_000,
});

for (const e of await listCpio(join(work, 'initramfs.img'))) {
  const device = e.type === 'char' ? ` ${e.rdevMajor},${e.rdevMinor}` : '';
  console.log(`${e.compression} ${e.type.padEnd(4)} ${e.mode.toString(8).padStart(4, '0')} ${e.uid}:${e.gid} ino=${e.ino} mtime=${e.mtime} size=${e.size}${device} ${e.name}`);
}
await rm(work, { recursive: true });
