import { mergeManifest, emptyManifest, type Manifest } from '@distroforge/core';
import { link, mkdir, mkdtemp, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const unicodeName = 'ünïcode ファイル "q".txt';

/** A small rootfs as a non-root build leaves it on disk (owned by whoever runs the test). */
export async function buildTree(): Promise<{ work: string; root: string }> {
  const work = await mkdtemp(join(tmpdir(), 'squashfs-wrap-'));
  const root = join(work, 'root');
  for (const dir of ['etc', 'usr/bin', 'home/alice', 'var/cache/apt'])
    await mkdir(join(root, dir), { recursive: true });
  await writeFile(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o644 });
  await writeFile(join(root, 'etc/hostname'), 'forge\n');
  await writeFile(join(root, 'usr/bin/su'), '#!/bin/sh\necho su\n', { mode: 0o755 });
  await link(join(root, 'usr/bin/su'), join(root, 'usr/bin/su-hardlink'));
  await symlink('../usr/bin/su', join(root, 'etc/su-link'));
  await writeFile(join(root, 'home/alice', unicodeName), 'héllo\n');
  await writeFile(join(root, 'var/cache/apt/pkgcache.bin'), Buffer.alloc(4096, 7));
  // Some bulk so the progress bar has something to report.
  const bulk = join(root, 'usr/share/bulk');
  await mkdir(bulk, { recursive: true });
  for (let i = 0; i < 200; i++)
    await writeFile(join(bulk, `f${String(i).padStart(3, '0')}`), `${'x'.repeat(i * 97)}${i}\n`);
  const fixed = new Date(1_600_000_000_000);
  await utimes(join(root, 'etc/hostname'), fixed, fixed);
  return { work, root };
}

/** What a non-root rootfs stage would have recorded. */
export function treeManifest(): Manifest {
  return mergeManifest(emptyManifest(), [
    { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 },
    { path: '/usr/bin/su', uid: 0, gid: 0, mode: 0o4755 },
    { path: '/home/alice', uid: 1000, gid: 1000, mode: 0o700 },
    { path: `/home/alice/${unicodeName}`, uid: 1000, gid: 1000 },
    { path: '/dev/console', type: 'char', major: 5, minor: 1, mode: 0o600, uid: 0, gid: 5 },
    { path: '/dev/sda', type: 'block', major: 8, minor: 0, mode: 0o660, uid: 0, gid: 6 },
    { path: '/run/initctl', type: 'fifo', mode: 0o600 },
    { path: '/run/lock', type: 'dir', mode: 0o1777 },
    { path: '/bin', type: 'symlink', target: 'usr/bin' },
    { path: '/var/cache/apt/pkgcache.bin', uid: 0, gid: 0, mode: 0o600 },
  ]);
}
