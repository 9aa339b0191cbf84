import type { ManifestEntry } from '@distroforge/core';
import { lstatSync, lutimesSync, readdirSync } from 'node:fs';
import { readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';

/** Files that differ between identical builds (logs, caches, ids); mmdebstrap removes the same. */
const VOLATILE = [
  'var/log/dpkg.log',
  'var/log/alternatives.log',
  'var/log/apt/history.log',
  'var/log/apt/term.log',
  'var/log/apt/eipp.log.xz',
  'var/log/bootstrap.log',
  'var/cache/ldconfig/aux-cache',
  'var/lib/dbus/machine-id',
  'var/cache/debconf/config.dat-old',
  'var/cache/debconf/templates.dat-old',
  'var/cache/debconf/passwords.dat-old',
  'var/lib/dpkg/status-old',
  'var/lib/dpkg/diversions-old',
  'var/lib/dpkg/statoverride-old',
  'var/cache/apt/pkgcache.bin',
  'var/cache/apt/srcpkgcache.bin',
  'etc/passwd-',
  'etc/group-',
  'etc/shadow-',
  'etc/gshadow-',
  'etc/subuid-',
  'etc/subgid-',
];

/** Removes logs and caches that make the tree non-reproducible and empties `/etc/machine-id`. */
export async function removeVolatileFiles(root: string): Promise<void> {
  await Promise.all(VOLATILE.map((p) => rm(join(root, p), { force: true })));
  await truncate(join(root, 'etc/machine-id')).catch(() => undefined);
  for (const dir of ['tmp', 'var/tmp']) {
    const names = await readdir(join(root, dir)).catch(() => [] as string[]);
    await Promise.all(names.map((n) => rm(join(root, dir, n), { recursive: true, force: true })));
  }
}

/**
 * Walks the tree once: clamps mtimes newer than `epoch` (files written by maintainer scripts), sets
 * every directory's mtime to `epoch` (it depends on the order entries were added), and
 * returns manifest entries for what is not root:root 0xxx — owners, setuid/setgid/sticky modes,
 * device nodes, fifos, sockets — as the disk holds them now.
 */
export async function scanTree(root: string, epoch: number | undefined): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  for (const relative of ['', ...listTree(root)]) {
    const host = relative === '' ? root : join(root, relative);
    const stats = lstatSync(host); // sync: tens of thousands of tiny calls
    const path = relative === '' ? '/' : `/${relative}`;
    // Directories get the epoch itself: their mtime depends on which package (unpacked in
    // parallel) or script last added an entry, so any other rule would vary between builds.
    if (epoch !== undefined && (stats.isDirectory() ? stats.mtimeMs !== epoch * 1000 : stats.mtimeMs > epoch * 1000)) lutimesSync(host, epoch, epoch);
    const mode = stats.mode & 0o7777;
    const special = stats.isCharacterDevice() || stats.isBlockDevice() || stats.isFIFO() || stats.isSocket();
    if (special) {
      const type = stats.isCharacterDevice() ? 'char' : stats.isBlockDevice() ? 'block' : stats.isFIFO() ? 'fifo' : 'socket';
      const device = type === 'char' || type === 'block' ? { major: majorOf(stats.rdev), minor: minorOf(stats.rdev) } : {};
      entries.push({ path, type, uid: stats.uid, gid: stats.gid, mode, ...device });
    } else if (stats.uid !== 0 || stats.gid !== 0 || (mode & 0o7000) !== 0) {
      entries.push(stats.isSymbolicLink() ? { path, uid: stats.uid, gid: stats.gid } : { path, uid: stats.uid, gid: stats.gid, mode });
    }
  }
  return entries;
}

/**
 * Every path under `root`, relative and sorted, never descending into symlinked directories
 * (`readdir`'s recursive mode does, which listed merged-/usr's `/bin/x` beside `/usr/bin/x`).
 */
function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (relative: string) => {
    for (const dirent of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
      out.push(path);
      if (dirent.isDirectory()) walk(path);
    }
  };
  walk('');
  return out.sort();
}

function majorOf(rdev: number): number {
  return Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
}

function minorOf(rdev: number): number {
  return Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
}
