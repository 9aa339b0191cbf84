import { leastRecentlyUsed, runLogged, writeAtomically, type Manifest } from '@distroforge/core';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidDiskOptionsError } from './errors.js';
import { ext4Delta } from './ext4-delta.js';
import {
  buildExt4Image,
  ext4SizeFor,
  extraFileCommands,
  runDebugfs,
  type BuildExt4ImageOptions,
  type Ext4Image,
} from './ext4-image.js';
import { cachedBaseImages } from './cached-base-images.js';
import type { SpeculativeBaseCopy } from './speculative-base-copy.js';
import { findDebugfs, findMkfsExt4 } from './tools.js';
import { readTree, type TreeEntry, type TreeWalker } from './walk-tree.js';

const MiB = 1024 * 1024;
/** Bumped whenever the way a base image is built changes, so older cached bases are not reused. */
const BASE_FORMAT = 1;
/** Cached base images kept in a cache directory (the newest used); older ones are deleted. */
const KEEP_BASES = 2;

export interface Ext4BaseTree {
  /** The tree `directory` was derived from (e.g. the bootstrapped root under an overlay's hard-link farm). */
  directory: string;
  manifest: Manifest;
  /**
   * Names the base's content for the cache (e.g. a build cache key); by default a digest of the
   * tree's listing (paths, types, sizes, times, modes, owners, host inodes) and the manifest.
   */
  key?: string;
}

export interface Ext4FromBaseOptions extends BuildExt4ImageOptions {
  /**
   * Size of the file `output` becomes (default offset + size): with an `offset`, the filesystem
   * is a partition of a disk image whose other parts the caller writes afterwards. `output` is
   * created (replaced) either way.
   */
  fileSize?: number;
  base: Ext4BaseTree;
  /** Where base images are kept between builds. */
  cacheDir: string;
}

export interface Ext4FromBase extends Ext4Image {
  /** The base image used, and whether it was already in the cache. */
  base: { image: string; cached: boolean };
  /** Paths the delta removed, wrote or re-owned. */
  changed: number;
}

/**
 * An ext4 image of `directory` made in two steps that give the same bytes whether or not the
 * first is cached: an image of the base tree (mkfs.ext4 -d, as buildExt4Image makes it, kept in
 * `cacheDir`), copied into place, then debugfs applies the difference to `directory` and the
 * extra files. Rebuilding after a small change to a derived tree costs a copy and a short debugfs
 * script instead of a full mkfs. The size must not depend on the change (round it up).
 */
export async function buildExt4FromBase(
  options: Ext4FromBaseOptions,
  prepared: { tree?: readonly TreeEntry[]; walk?: TreeWalker; speculative?: SpeculativeBaseCopy | undefined } = {},
): Promise<Ext4FromBase> {
  const tree = prepared.tree ?? (await readTree('root directory', options.directory, prepared.walk));
  // The base is walked once, when first needed: a cached base with a caller's key needs no walk to
  // be found, so the walk (and the delta) then run while cp copies the image.
  let walked: Promise<readonly TreeEntry[]> | undefined;
  const baseTree = () => (walked ??= readTree('base directory', options.base.directory, prepared.walk));
  const size = options.size ?? ext4SizeFor(tree) + (options.freeSpace ?? 64 * MiB);
  const owner = options.owner ?? 'root';
  const offset = options.offset ?? 0;
  const fileSize = options.fileSize ?? offset + size;
  if (fileSize < offset + size)
    throw new InvalidDiskOptionsError(`fileSize ${fileSize} cannot hold ${size} bytes of ext4 at offset ${offset}`, {
      value: fileSize,
    });
  const image = await baseImagePath(options, baseTree, { size, offset, fileSize, owner });
  // A copy started ahead (see speculateBaseCopy) is stopped at once if it is of another base.
  const claim = prepared.speculative?.claim(image);
  const base = await ensureBaseImage(image, options, baseTree, { size, offset, fileSize, owner });
  // A base just built replaced whatever was copied (a cached file of the wrong size); an unused
  // copy is deleted by the speculation's discard.
  const claimed = await claim;
  const ahead = base.cached ? claimed : undefined;
  await rm(options.output, { force: true });
  // cp copies only the allocated extents (SEEK_DATA, copy_file_range): a quarter of the time of
  // reading and writing the whole file, and the copy stays as sparse as the base.
  const copyBase = () =>
    runLogged('cp', ['--sparse=always', '--no-target-directory', base.image, options.output], {
      logFile: options.logFile,
      signal: options.signal,
    });
  const copying = ahead ? rename(ahead, options.output).catch(copyBase) : copyBase();
  let delta: ReturnType<typeof ext4Delta>;
  try {
    delta = ext4Delta(
      { directory: options.base.directory, tree: await baseTree(), manifest: options.base.manifest },
      {
        directory: options.directory,
        tree,
        manifest: options.manifest ?? { format: 'distroforge-manifest', version: 1, entries: [] },
      },
      { owner, sourceDateEpoch: options.sourceDateEpoch },
    );
  } finally {
    await copying;
  }
  const work = await mkdtemp(join(tmpdir(), 'distroforge-ext4-delta-'));
  try {
    const commands = [
      ...delta.commands,
      ...(await extraFileCommands(options.files ?? [], tree, work, options.sourceDateEpoch)),
    ];
    if (commands.length > 0) {
      const commandFile = join(work, 'debugfs.cmd');
      await writeFile(commandFile, `${commands.join('\n')}\n`);
      const debugfs = await findDebugfs();
      const image = options.offset === undefined ? options.output : `${options.output}?offset=${offset}`;
      await runDebugfs(debugfs.path, commandFile, image, {
        logFile: options.logFile,
        signal: options.signal,
        E2FSPROGS_FAKE_TIME: String(options.sourceDateEpoch),
      });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const notApplied = (options.manifest?.entries ?? [])
    .filter((e) => e.caps !== undefined)
    .map((e) => ({ path: e.path, field: 'caps' as const }));
  return {
    path: options.output,
    size,
    ...(options.offset === undefined ? {} : { offset }),
    uuid: options.uuid,
    notApplied,
    base,
    changed: delta.changed,
  };
}

interface BasePlace {
  size: number;
  offset: number;
  fileSize: number;
  owner: 'root' | 'disk';
}

/** Where the cache keeps the base image for these options (named by everything it is made of). */
async function baseImagePath(
  options: Ext4FromBaseOptions,
  baseTree: () => Promise<readonly TreeEntry[]>,
  place: BasePlace,
): Promise<string> {
  const { size, offset, fileSize, owner } = place;
  const mkfs = await findMkfsExt4();
  const source = options.base.key ?? listingDigest(await baseTree(), options.base.manifest);
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        format: BASE_FORMAT,
        source,
        size,
        offset,
        fileSize,
        uuid: options.uuid,
        hashSeed: options.hashSeed,
        label: options.label ?? 'root',
        owner,
        epoch: options.sourceDateEpoch,
        mkfs: mkfs.version,
      }),
    )
    .digest('hex')
    .slice(0, 32);
  return join(options.cacheDir, `${key}.ext4`);
}

/** The base image at `image`, from the cache or built (atomically) when missing. */
async function ensureBaseImage(
  image: string,
  options: Ext4FromBaseOptions,
  baseTree: () => Promise<readonly TreeEntry[]>,
  place: BasePlace,
): Promise<{ image: string; cached: boolean }> {
  const { size, offset, fileSize, owner } = place;
  const now = new Date();
  if (
    await stat(image).then(
      (s) => s.size === fileSize,
      () => false,
    )
  ) {
    await utimes(image, now, now);
    return { image, cached: true };
  }
  await mkdir(options.cacheDir, { recursive: true });
  await writeAtomically(image, async (temp) => {
    // A sparse file of the final size: buildExt4Image writes the filesystem into it at `offset`.
    await writeFile(temp, '');
    await truncate(temp, fileSize);
    await buildExt4Image(
      {
        directory: options.base.directory,
        manifest: options.base.manifest,
        owner,
        output: temp,
        offset,
        size,
        uuid: options.uuid,
        hashSeed: options.hashSeed,
        ...(options.label === undefined ? {} : { label: options.label }),
        sourceDateEpoch: options.sourceDateEpoch,
        logFile: options.logFile,
        signal: options.signal,
      },
      { tree: await baseTree() },
    );
  });
  await pruneBases(options.cacheDir, image);
  return { image, cached: false };
}

function listingDigest(tree: readonly TreeEntry[], manifest: Manifest): string {
  const hash = createHash('sha256');
  for (const e of tree)
    hash.update(`${e.path}\0${e.type}\0${e.size}\0${e.mtimeSec}\0${e.mode}\0${e.uid}\0${e.gid}\0${e.inode}\n`);
  return hash.update(JSON.stringify(manifest)).digest('hex');
}

/** Keeps the newest-used base images (by mtime, which a reuse refreshes); `current` always stays. */
async function pruneBases(cacheDir: string, current: string): Promise<void> {
  const others = (await cachedBaseImages(cacheDir)).filter((p) => p !== current);
  await Promise.all((await leastRecentlyUsed(others, KEEP_BASES - 1)).map((p) => rm(p, { force: true })));
}
