import { emptyManifest, readManifest, type Manifest } from '@distroforge/core';
import { open, stat } from 'node:fs/promises';
import { DiskInputMissingError, InvalidDiskOptionsError } from './errors.js';
import type { Ext4RootOptions, ImageRootOptions, NormalisedDiskOptions } from './options.js';
import { probeFilesystem } from './probe-filesystem.js';
import type { Ext4BaseTree } from './ext4-from-base.js';
import { readTree, type TreeEntry, type TreeWalker } from './walk-tree.js';

/** What the root partition is made of, read once: a tree for ext4, or a finished read-only image. */
export type RootInput =
  | {
      kind: 'ext4';
      options: Ext4RootOptions;
      tree: readonly TreeEntry[];
      manifest: Manifest;
      newestMtime: number;
      base?: Ext4BaseTree & { cacheDir: string };
    }
  | { kind: 'image'; options: ImageRootOptions; filesystem: 'squashfs' | 'erofs'; size: number; newestMtime: number };

export async function readRootInput(root: NormalisedDiskOptions['root'], walk?: TreeWalker): Promise<RootInput> {
  if ('directory' in root) {
    const manifest = await loadManifest(root.manifest);
    const tree = await readTree('root directory', root.directory, walk);
    const base = root.base && {
      directory: root.base.directory,
      manifest: await loadManifest(root.base.manifest),
      cacheDir: root.base.cacheDir,
      ...(root.base.key ? { key: root.base.key } : {}),
    };
    return {
      kind: 'ext4',
      options: root,
      tree,
      manifest,
      newestMtime: Math.max(...tree.map((e) => e.mtimeSec)),
      ...(base ? { base } : {}),
    };
  }
  const info = await stat(root.image).catch((cause: unknown) => {
    throw new DiskInputMissingError('root image', root.image, { cause });
  });
  const head = Buffer.alloc(8192);
  const handle = await open(root.image, 'r');
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const found = probeFilesystem(head)?.type;
  if (found !== 'squashfs' && found !== 'erofs') {
    throw new InvalidDiskOptionsError(
      `root image ${root.image} is not a squashfs or EROFS image (found: ${found ?? 'unknown data'})`,
      { path: root.image, value: 'root.image' },
    );
  }
  if (root.filesystem !== undefined && root.filesystem !== found) {
    throw new InvalidDiskOptionsError(
      `root image ${root.image} is ${found}, but root.filesystem says ${root.filesystem}`,
      { path: root.image, value: 'root.filesystem' },
    );
  }
  return {
    kind: 'image',
    options: root,
    filesystem: found,
    size: info.size,
    newestMtime: Math.floor(info.mtimeMs / 1000),
  };
}

async function loadManifest(manifest: Ext4RootOptions['manifest']): Promise<Manifest> {
  if (manifest === undefined) return emptyManifest();
  if (typeof manifest !== 'string') return manifest;
  await stat(manifest).catch((cause: unknown) => {
    throw new DiskInputMissingError('manifest', manifest, { cause });
  });
  return readManifest(manifest);
}
