import { fileTypeBits, type Manifest, type ManifestEntry } from '@distroforge/core';
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidDiskOptionsError } from './errors.js';
import type { TreeEntry } from './walk-tree.js';

export type NodeKind = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';

const defaultPerms: Record<NodeKind, number> = {
  file: 0o644,
  dir: 0o755,
  symlink: 0o777,
  char: 0o644,
  block: 0o644,
  fifo: 0o644,
};

/** One inode as an image of the root holds it: made from the tree and the manifest, owners and times resolved. */
export interface RootNode {
  path: string;
  kind: NodeKind;
  /** The full i_mode (type and permission bits). */
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** The tree entry, for nodes on disk. */
  entry?: TreeEntry;
  /** What a manifest-made node is (device numbers, symlink target), for nodes not on disk. */
  made?: string;
}

/** A tree and its manifest, as one side of a delta. */
export interface RootTreeSide {
  /** The directory the tree was read from (file contents are read from it). */
  directory: string;
  tree: readonly TreeEntry[];
  manifest: Manifest;
}

export interface RootTreeDiffOptions {
  /** `root` resets every owner to 0:0 before the manifest applies (buildExt4Image's default); `disk` keeps the owners found. */
  owner: 'root' | 'disk';
  sourceDateEpoch: number;
}

export interface RootTreeDiff {
  /** Nodes of the base that are gone or replaced (a new kind, or rewritten content), in path order. */
  removed: RootNode[];
  /** Nodes of `next` to create: new, of a new kind, or with new content (hard-link sets whole), in path order. */
  written: RootNode[];
  /** Nodes of `next` with the same content whose owner, mode or time changed. */
  retimed: RootNode[];
  /** Paths by host inode in `next`, for files with more than one path. */
  links: Map<string, string[]>;
  /** Every node of `next` by path. */
  nodes: Map<string, RootNode>;
}

/**
 * The difference between two root trees as an image holds them (tree entries with the manifest's
 * owners and modes applied, plus the nodes only the manifest declares; mtimes clamped to the
 * epoch). A file is unchanged when it is the same host inode (a hard-link farm of the base) or has
 * the same bytes, and keeps the same set of hard links; directories compare by owner, mode and time.
 */
export function diffRootTrees(base: RootTreeSide, next: RootTreeSide, options: RootTreeDiffOptions): RootTreeDiff {
  const before = rootNodes(base, options);
  const after = rootNodes(next, options);
  const baseLinks = linkSets(base.tree);
  const nextLinks = linkSets(next.tree);

  const removals: RootNode[] = [];
  const writes = new Map<string, RootNode>();
  const retimed: RootNode[] = [];
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort(byPath);
  for (const path of paths) {
    const old = before.get(path);
    const now = after.get(path);
    if (old && (!now || old.kind !== now.kind)) removals.push(old);
    if (!now) continue;
    if (!old || old.kind !== now.kind) {
      writes.set(path, now);
    } else if (!sameContent(old, now, base, next, baseLinks, nextLinks)) {
      removals.push(old);
      writes.set(path, now);
    } else if (old.mode !== now.mode || old.uid !== now.uid || old.gid !== now.gid || old.mtime !== now.mtime) {
      retimed.push(now);
    }
  }
  // A hard-link set is written whole: every member of a set with one member written is rewritten.
  for (const node of [...writes.values()]) {
    for (const member of nextLinks.get(node.entry?.inode ?? '') ?? []) {
      if (writes.has(member)) continue;
      const old = before.get(member);
      if (old) removals.push(old);
      writes.set(member, after.get(member)!);
    }
  }

  const written = [...writes.values()].sort((a, b) => byPath(a.path, b.path));
  const seen = new Set<string>();
  const removed = removals.filter((n) => !seen.has(n.path) && seen.add(n.path)).sort((a, b) => byPath(a.path, b.path));
  return { removed, written, retimed, links: nextLinks, nodes: after };
}

/** The image's nodes: tree entries with the manifest's overrides, plus the nodes only the manifest declares. */
function rootNodes(side: RootTreeSide, options: RootTreeDiffOptions): Map<string, RootNode> {
  const epoch = options.sourceDateEpoch;
  const nodes = new Map<string, RootNode>();
  for (const entry of side.tree) {
    if (entry.type === 'other')
      throw new InvalidDiskOptionsError(
        `the root tree holds a special file; declare it in the manifest instead: ${entry.path}`,
        { value: entry.path },
      );
    const disk = options.owner === 'disk';
    nodes.set(entry.path, {
      path: entry.path,
      kind: entry.type,
      mode: entry.mode,
      uid: disk ? entry.uid : 0,
      gid: disk ? entry.gid : 0,
      mtime: Math.min(entry.mtimeSec, epoch),
      entry,
    });
  }
  for (const m of side.manifest.entries) {
    const node = nodes.get(m.path) ?? madeNode(m, epoch);
    if (m.uid !== undefined) node.uid = m.uid;
    if (m.gid !== undefined) node.gid = m.gid;
    if (m.mode !== undefined) node.mode = (node.mode & 0o170000) | m.mode;
    nodes.set(m.path, node);
  }
  return nodes;
}

function madeNode(m: ManifestEntry, epoch: number): RootNode {
  const kind = m.type;
  if (kind === undefined || kind === 'socket' || kind === 'file' || (kind === 'symlink' && m.target === undefined)) {
    throw new InvalidDiskOptionsError(
      `manifest entry ${m.path} is not on disk and is not a node the manifest can create (char, block, fifo, dir, symlink with target)`,
      { value: m.path },
    );
  }
  const made =
    kind === 'char' || kind === 'block'
      ? `${kind === 'char' ? 'c' : 'b'} ${m.major} ${m.minor}`
      : kind === 'symlink'
        ? `l ${m.target}`
        : kind;
  return { path: m.path, kind, mode: fileTypeBits[kind] | defaultPerms[kind], uid: 0, gid: 0, mtime: epoch, made };
}

/** Paths by host inode, for files with more than one path in the tree. */
function linkSets(tree: readonly TreeEntry[]): Map<string, string[]> {
  const byInode = new Map<string, string[]>();
  for (const entry of tree) {
    if (entry.type !== 'file') continue;
    const paths = byInode.get(entry.inode);
    if (paths) paths.push(entry.path);
    else byInode.set(entry.inode, [entry.path]);
  }
  for (const [inode, paths] of byInode) if (paths.length < 2) byInode.delete(inode);
  return byInode;
}

function sameContent(
  old: RootNode,
  now: RootNode,
  base: RootTreeSide,
  next: RootTreeSide,
  baseLinks: Map<string, string[]>,
  nextLinks: Map<string, string[]>,
): boolean {
  if (old.kind === 'dir') return true;
  if (!old.entry || !now.entry) return old.made === now.made && !old.entry && !now.entry;
  if (old.kind === 'file') {
    const a = baseLinks.get(old.entry.inode) ?? [old.path];
    const b = nextLinks.get(now.entry.inode) ?? [now.path];
    if (a.length !== b.length || a.some((p, i) => p !== b[i])) return false;
  }
  if (old.entry.inode === now.entry.inode) return true;
  if (old.kind === 'symlink')
    return readlinkSync(join(base.directory, old.path)) === readlinkSync(join(next.directory, now.path));
  return old.entry.size === now.entry.size && sameBytes(join(base.directory, old.path), join(next.directory, now.path));
}

const CHUNK = 1 << 20;

function sameBytes(a: string, b: string): boolean {
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  try {
    const ba = Buffer.allocUnsafe(CHUNK);
    const bb = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const na = readSync(fa, ba, 0, CHUNK, null);
      const nb = readSync(fb, bb, 0, CHUNK, null);
      if (na !== nb) return false;
      if (na === 0) return true;
      if (!ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/** Any total order works: it only has to put parents before their children (and be the same every run). */
export function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
