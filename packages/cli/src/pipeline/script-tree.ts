import { lstatSync, lutimesSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import {
  assignOwners,
  emptyManifest,
  listTree,
  mergeManifest,
  ownerAsSeenInside,
  releaseTree,
  type Manifest,
  type ManifestEntry,
  type TreeOwner,
  type UserNamespace,
  coreError,
} from '@distroforge/core';

/**
 * Before a profile's scripts run: the image's owners and modes from the manifest, given to the tree
 * inside the namespace (the copy on disk is all the builder's), so the scripts see the files as the
 * image has them. Manifest-only nodes (devices) are not on disk and are skipped.
 */
export async function assignManifestOwners(ns: UserNamespace, root: string, manifest: Manifest): Promise<void> {
  const owners: TreeOwner[] = [];
  for (const entry of manifest.entries) {
    if (entry.path === '/') continue;
    const st = lstatOrUndefined(join(root, entry.path));
    if (!st || (entry.type !== undefined && entry.type !== kindOf(st))) continue;
    const mode = st.isSymbolicLink() ? undefined : (entry.mode ?? st.mode & 0o7777);
    owners.push({
      path: entry.path.slice(1),
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      ...(mode === undefined ? {} : { mode }),
    });
  }
  await assignOwners(ns, root, owners);
}

/**
 * After the scripts: the tree as the namespace saw it becomes the manifest (owners and modes of
 * every node the manifest named or that is not root:root 0xxx; capabilities kept for files still
 * there; manifest-only nodes kept while their directory exists), every node the scripts owned to
 * another id is given back to the builder first (core's releaseTree, mode kept), and times newer
 * than the epoch are clamped to it. A script that removed or re-owned a file is thereby seen, not only what it added.
 */
export async function finishScriptTree(
  ns: UserNamespace,
  root: string,
  before: Manifest,
  epoch: number,
): Promise<Manifest> {
  // Inside the namespace first: everything back to the builder, noting the owners the scripts left
  // (the host could not even list a 0700 directory of another id before).
  const released = await releaseTree(ns, root);
  const declared = new Map(before.entries.map((e) => [e.path, e]));
  const entries: ManifestEntry[] = [];
  const onDisk = new Set<string>();
  for (const relative of ['', ...listTree(root)]) {
    const host = relative === '' ? root : join(root, relative);
    const st = lstatSync(host);
    const path = relative === '' ? '/' : `/${relative}`;
    onDisk.add(path);
    const inside = released.get(relative) ?? ownerAsSeenInside(ns, st.uid, st.gid);
    if (!inside) {
      throw coreError(
        'ERR_USERNS_ID_UNMAPPED',
        `${path} is owned by ${st.uid}:${st.gid}, an id outside the build's user namespace`,
        {
          path: host,
          value: `${st.uid}:${st.gid}`,
          hint: 'something outside the build changed the tree; build again',
        },
      );
    }
    const mode = st.mode & 0o7777;
    const kind = kindOf(st);
    const was = declared.get(path);
    if (kind === 'fifo' || kind === 'socket') {
      entries.push({ path, type: kind, uid: inside.uid, gid: inside.gid, mode });
    } else if (was !== undefined || inside.uid !== 0 || inside.gid !== 0 || (mode & 0o7000) !== 0) {
      const caps = kind === 'file' && was?.caps !== undefined ? { caps: was.caps } : {};
      entries.push(
        kind === 'symlink'
          ? { path, uid: inside.uid, gid: inside.gid }
          : { path, uid: inside.uid, gid: inside.gid, mode, ...caps },
      );
    }
    if (st.mtimeMs > epoch * 1000) lutimesSync(host, epoch, epoch);
  }
  // Devices live in the manifest only (none can be made in a user namespace).
  for (const entry of before.entries) {
    if (onDisk.has(entry.path) || entry.type === undefined || !['char', 'block', 'fifo', 'socket'].includes(entry.type))
      continue;
    if (onDisk.has(parentOf(entry.path))) entries.push(entry);
  }
  return mergeManifest(emptyManifest(), entries);
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

function kindOf(st: Stats): NonNullable<ManifestEntry['type']> {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'file';
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
