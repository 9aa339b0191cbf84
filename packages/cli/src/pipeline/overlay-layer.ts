import { link, mkdir, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Manifest, ManifestEntry } from '@distroforge/core';
import { byPath, diffRootTrees, walkTree, type RootNode, type TreeWalker } from '@distroforge/disk-assemble';

/** A root tree and its manifest (a stage's `rootfs/` and `manifest.json`). */
export interface LayerSide {
  directory: string;
  manifest: Manifest;
}

export interface OverlayLayer {
  /** Owners, modes, whiteouts and manifest-made nodes of the layer tree, for the image builder. */
  manifest: Manifest;
  /** Paths the layer adds or replaces, and paths it hides (whiteouts). */
  changed: number;
  whiteouts: number;
}

/**
 * Writes at `dir` the overlayfs layer that, stacked above an image of `base`, shows `final`:
 * every node that is new, rewritten or re-owned (files hard-linked from `final`, so nothing is
 * copied), the directories above them with the final owners, modes and times (overlayfs takes a
 * merged directory's attributes from the top layer), and a whiteout (char 0:0) for each path that
 * is gone. The manifest it returns gives every node of the layer its owner and mode, so the image
 * does not depend on who owns the files on disk.
 */
export async function buildOverlayLayer(
  base: LayerSide,
  final: LayerSide,
  dir: string,
  sourceDateEpoch: number,
  walk: TreeWalker = walkTree,
): Promise<OverlayLayer> {
  const [baseTree, finalTree] = await Promise.all([walk(base.directory), walk(final.directory)]);
  const diff = diffRootTrees(
    { directory: base.directory, tree: baseTree, manifest: base.manifest },
    { directory: final.directory, tree: finalTree, manifest: final.manifest },
    // The manifests are complete (the overlay stage's applies to its tree only as root): owners
    // on disk are the builder's, so root and ordinary builds make the same layer.
    { owner: 'root', sourceDateEpoch },
  );
  const declared = new Map(final.manifest.entries.map((e) => [e.path, e]));
  const entries = new Map<string, ManifestEntry>();
  const dirs: RootNode[] = [];
  const describe = (node: RootNode, extra: Partial<ManifestEntry> = {}) => {
    const cap = declared.get(node.path)?.caps;
    entries.set(node.path, {
      path: node.path,
      uid: node.uid,
      gid: node.gid,
      mode: node.mode & 0o7777,
      ...(cap ? { caps: cap } : {}),
      ...extra,
    });
  };
  const ensureParents = async (path: string) => {
    const chain: string[] = [];
    for (let p = posix.dirname(path); !entries.has(p); p = posix.dirname(p)) {
      chain.unshift(p);
      if (p === '/') break;
    }
    for (const p of chain) {
      const node = diff.nodes.get(p)!;
      if (p !== '/') await mkdir(join(dir, p));
      dirs.push(node);
      describe(node);
    }
  };

  await mkdir(dir, { recursive: true });
  const root = diff.nodes.get('/')!;
  dirs.push(root);
  describe(root);
  const included = [...diff.written, ...diff.retimed].sort((a, b) => byPath(a.path, b.path));
  for (const node of included) {
    if (node.path === '/') continue; // described above, from the same node
    await ensureParents(node.path);
    if (node.entry === undefined) {
      // Only the manifest declares it: the image builder creates it.
      describe(node, { ...declared.get(node.path)!, uid: node.uid, gid: node.gid, mode: node.mode & 0o7777 });
      continue;
    }
    if (node.kind === 'dir') {
      await mkdir(join(dir, node.path));
      dirs.push(node);
    } else {
      await link(join(final.directory, node.path), join(dir, node.path));
    }
    describe(node);
  }
  let whiteouts = 0;
  for (const gone of diff.removed) {
    if (diff.nodes.has(gone.path)) continue; // replaced by a node of another kind, which hides it
    // Below a directory that is itself gone or replaced, the parent's whiteout or new node hides it.
    if (diff.nodes.get(posix.dirname(gone.path))?.kind !== 'dir') continue;
    await ensureParents(gone.path);
    entries.set(gone.path, { path: gone.path, type: 'char', major: 0, minor: 0, mode: 0, uid: 0, gid: 0 });
    whiteouts++;
  }
  for (const node of dirs) await utimes(join(dir, node.path), node.mtime, node.mtime);
  const sorted = [...entries.values()].sort((a, b) => byPath(a.path, b.path));
  return {
    manifest: { format: 'distroforge-manifest', version: 1, entries: sorted },
    changed: included.length,
    whiteouts,
  };
}
