import type { Manifest, ManifestEntry } from '@distroforge/core';
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { join, posix } from 'node:path';
import { quote, typeBits } from './debugfs-script.js';
import { InvalidDiskOptionsError } from './errors.js';
import type { TreeEntry } from './walk-tree.js';

type NodeKind = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';

const defaultPerms: Record<NodeKind, number> = { file: 0o644, dir: 0o755, symlink: 0o777, char: 0o644, block: 0o644, fifo: 0o644 };

/** One inode as the ext4 image holds it: made from the tree and the manifest, owners and times resolved. */
interface Ext4Node {
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
export interface Ext4DeltaSide {
  /** The directory the tree was read from (file contents are read from it). */
  directory: string;
  tree: readonly TreeEntry[];
  manifest: Manifest;
}

export interface Ext4DeltaOptions {
  /** As in buildExt4Image: `root` resets every owner to 0:0 before the manifest applies. */
  owner: 'root' | 'disk';
  sourceDateEpoch: number;
}

export interface Ext4Delta {
  /** debugfs commands turning an image of `base` into one of `next`. */
  commands: string[];
  /** Paths removed, (re)written, or whose owner, mode or time changed. */
  changed: number;
}

/**
 * The debugfs commands that turn an ext4 image built from `base` (mkfs.ext4 -d plus the ownership
 * pass) into an image of `next`: removals deepest first, then new and rewritten nodes parents
 * first, then the owner, mode and times of every node touched. A file counts as unchanged when it
 * is the same host inode (a hard-link farm of the base) or has the same bytes, and keeps the same
 * set of hard links; directories are compared by their resolved owner, mode and time.
 */
export function ext4Delta(base: Ext4DeltaSide, next: Ext4DeltaSide, options: Ext4DeltaOptions): Ext4Delta {
  const before = ext4Nodes(base, options);
  const after = ext4Nodes(next, options);
  const baseLinks = linkSets(base.tree);
  const nextLinks = linkSets(next.tree);

  const removals: Ext4Node[] = [];
  const writes = new Map<string, Ext4Node>();
  const retimed: Ext4Node[] = [];
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

  const commands: string[] = [];
  const inDir = (path: string, command: string) => commands.push(`cd ${quote(posix.dirname(path))}`, command, 'cd /');
  const removed = new Set<string>();
  for (const node of removals.sort((a, b) => byPath(b.path, a.path))) {
    if (removed.has(node.path)) continue;
    removed.add(node.path);
    inDir(node.path, `${node.kind === 'dir' ? 'rmdir' : 'rm'} ${quote(posix.basename(node.path))}`);
  }
  const firstOfSet = new Map<string, string>();
  const ordered = [...writes.values()].sort((a, b) => byPath(a.path, b.path));
  for (const node of ordered) {
    const name = quote(posix.basename(node.path));
    const set = node.kind === 'file' && node.entry ? nextLinks.get(node.entry.inode) : undefined;
    const first = set ? firstOfSet.get(node.entry!.inode) : undefined;
    if (first !== undefined) inDir(node.path, `ln ${quote(first)} ${name}`);
    else inDir(node.path, createCommand(node, name, next.directory));
    if (set && first === undefined) firstOfSet.set(node.entry!.inode, node.path);
  }
  for (const node of [...ordered, ...retimed]) {
    const q = quote(node.path);
    commands.push(`sif ${q} uid ${node.uid}`, `sif ${q} gid ${node.gid}`, `sif ${q} mode ${node.mode}`);
    commands.push(`sif ${q} mtime @${node.mtime}`, `sif ${q} atime @${options.sourceDateEpoch}`, `sif ${q} ctime @${options.sourceDateEpoch}`, `sif ${q} crtime @${options.sourceDateEpoch}`);
  }
  // debugfs's ln does not count links: the first member of each set carries the set's size.
  for (const [inode, path] of firstOfSet) commands.push(`sif ${quote(path)} links_count ${nextLinks.get(inode)!.length}`);
  return { commands, changed: new Set([...removed, ...writes.keys(), ...retimed.map((n) => n.path)]).size };
}

function createCommand(node: Ext4Node, name: string, directory: string): string {
  switch (node.kind) {
    case 'file':
      return `write ${quote(join(directory, node.path))} ${name}`;
    case 'dir':
      return `mkdir ${name}`;
    case 'symlink':
      return `symlink ${name} ${quote(node.entry ? readlinkSync(join(directory, node.path)) : node.made!.slice(2))}`;
    case 'fifo':
      return `mknod ${name} p`;
    case 'char':
    case 'block':
      return `mknod ${name} ${node.made}`;
  }
}

/** The image's nodes: tree entries with the manifest's overrides, plus the nodes only the manifest declares. */
function ext4Nodes(side: Ext4DeltaSide, options: Ext4DeltaOptions): Map<string, Ext4Node> {
  const epoch = options.sourceDateEpoch;
  const nodes = new Map<string, Ext4Node>();
  for (const entry of side.tree) {
    if (entry.type === 'other') throw new InvalidDiskOptionsError(`the root tree holds a special file; declare it in the manifest instead: ${entry.path}`, { value: entry.path });
    const disk = options.owner === 'disk';
    nodes.set(entry.path, { path: entry.path, kind: entry.type, mode: entry.mode, uid: disk ? entry.uid : 0, gid: disk ? entry.gid : 0, mtime: Math.min(entry.mtimeSec, epoch), entry });
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

function madeNode(m: ManifestEntry, epoch: number): Ext4Node {
  const kind = m.type;
  if (kind === undefined || kind === 'socket' || kind === 'file' || (kind === 'symlink' && m.target === undefined)) {
    throw new InvalidDiskOptionsError(`manifest entry ${m.path} is not on disk and is not a node the manifest can create (char, block, fifo, dir, symlink with target)`, { value: m.path });
  }
  const made = kind === 'char' || kind === 'block' ? `${kind === 'char' ? 'c' : 'b'} ${m.major} ${m.minor}` : kind === 'symlink' ? `l ${m.target}` : kind;
  return { path: m.path, kind, mode: typeBits[kind] | defaultPerms[kind], uid: 0, gid: 0, mtime: epoch, made };
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

function sameContent(old: Ext4Node, now: Ext4Node, base: Ext4DeltaSide, next: Ext4DeltaSide, baseLinks: Map<string, string[]>, nextLinks: Map<string, string[]>): boolean {
  if (old.kind === 'dir') return true;
  if (!old.entry || !now.entry) return old.made === now.made && !old.entry && !now.entry;
  if (old.kind === 'file') {
    const a = baseLinks.get(old.entry.inode) ?? [old.path];
    const b = nextLinks.get(now.entry.inode) ?? [now.path];
    if (a.length !== b.length || a.some((p, i) => p !== b[i])) return false;
  }
  if (old.entry.inode === now.entry.inode) return true;
  if (old.kind === 'symlink') return readlinkSync(join(base.directory, old.path)) === readlinkSync(join(next.directory, now.path));
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
function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
