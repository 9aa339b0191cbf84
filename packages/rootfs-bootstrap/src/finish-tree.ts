import {
  coreError,
  keepAclsAsSeenInside,
  listTree,
  releaseTree,
  type ManifestEntry,
  type UserNamespace,
} from '@distroforge/core';
import { lstatSync, lutimesSync } from 'node:fs';
import { chmod, lstat, readdir, rm, truncate } from 'node:fs/promises';
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
  await emptyFile(join(root, 'etc/machine-id'));
  for (const dir of ['tmp', 'var/tmp']) {
    const names = await readdir(join(root, dir)).catch(() => [] as string[]);
    await Promise.all(names.map((n) => rm(join(root, dir, n), { recursive: true, force: true })));
  }
}

/** Empties a file that exists, even a read-only one (systemd leaves machine-id 0444): its owner, not only root, may. */
async function emptyFile(path: string): Promise<void> {
  // lstat: a symlink planted by a script must not lead the truncate out of the root.
  const stats = await lstat(path).catch(() => undefined);
  if (!stats?.isFile()) return;
  if ((stats.mode & 0o200) === 0) await chmod(path, stats.mode | 0o200);
  await truncate(path);
  if ((stats.mode & 0o200) === 0) await chmod(path, stats.mode & 0o7777);
}

/**
 * Walks the tree once: returns manifest entries for what is not root:root 0xxx — owners,
 * setuid/setgid/sticky modes, device nodes, fifos, sockets — as the disk holds them now, clamps
 * mtimes newer than `epoch` (files written by maintainer scripts) and sets every directory's mtime to
 * `epoch` (it depends on the order entries were added).
 *
 * With `namespace`, the tree is first given back to the invoking user inside that namespace
 * (core's `releaseTree`, modes kept), which also reports the owners the image's programs left;
 * those are the manifest's owners, so the tree stays readable and removable by its builder and the
 * manifest alone carries the image's owners. ACLs are rewritten with the image's ids.
 */
export async function scanTree(
  root: string,
  epoch: number | undefined,
  options: { namespace?: UserNamespace } = {},
): Promise<ManifestEntry[]> {
  const { namespace } = options;
  // First, inside the namespace: everything back to the builder, noting the owners the image's
  // programs left (the host cannot even list a directory like a user's 0700 home before).
  const released = namespace ? await releaseTree(namespace, root) : new Map<string, { uid: number; gid: number }>();
  const entries: ManifestEntry[] = [];
  const seen: { host: string; mtimeMs: number; directory: boolean }[] = [];
  const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  for (const relative of ['', ...listTree(root)]) {
    const host = relative === '' ? root : join(root, relative);
    const stats = lstatSync(host); // sync: tens of thousands of tiny calls
    const path = relative === '' ? '/' : `/${relative}`;
    seen.push({ host, mtimeMs: stats.mtimeMs, directory: stats.isDirectory() });
    // The builder's files are root's in the image; what the namespace released is as it was there.
    const owner = released.get(relative);
    let uid = owner?.uid ?? (stats.uid === self.uid ? 0 : stats.uid);
    let gid = owner?.gid ?? (stats.gid === self.gid ? 0 : stats.gid);
    if (namespace && owner === undefined && (stats.uid !== namespace.owner.uid || stats.gid !== namespace.owner.gid)) {
      throw coreError(
        'ERR_USERNS_ID_UNMAPPED',
        `${path} is owned by ${stats.uid}:${stats.gid}, an id outside the build's user namespace`,
        {
          path: host,
          value: `${stats.uid}:${stats.gid}`,
          hint: 'something outside the build changed the tree; remove it and build again',
        },
      );
    }
    if (namespace && owner === undefined) uid = gid = 0;
    const mode = stats.mode & 0o7777;
    const special = stats.isCharacterDevice() || stats.isBlockDevice() || stats.isFIFO() || stats.isSocket();
    if (special) {
      const type = stats.isCharacterDevice()
        ? 'char'
        : stats.isBlockDevice()
          ? 'block'
          : stats.isFIFO()
            ? 'fifo'
            : 'socket';
      const device =
        type === 'char' || type === 'block' ? { major: majorOf(stats.rdev), minor: minorOf(stats.rdev) } : {};
      entries.push({ path, type, uid, gid, mode, ...device });
    } else if (uid !== 0 || gid !== 0 || (mode & 0o7000) !== 0) {
      entries.push(stats.isSymbolicLink() ? { path, uid, gid } : { path, uid, gid, mode });
    }
  }
  if (namespace) await keepAclsAsSeenInside(namespace, root);
  if (epoch !== undefined) {
    // Directories get the epoch itself: their mtime depends on which package (unpacked in
    // parallel) or script last added an entry, so any other rule would vary between builds.
    for (const { host, mtimeMs, directory } of seen) {
      if (directory ? mtimeMs !== epoch * 1000 : mtimeMs > epoch * 1000) lutimesSync(host, epoch, epoch);
    }
  }
  return entries;
}

function majorOf(rdev: number): number {
  return Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
}

function minorOf(rdev: number): number {
  return Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
}
