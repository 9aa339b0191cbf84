import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { findTool, knownTools, type ToolSpec } from '@distroforge/core';
import { execa } from 'execa';
import { CliError } from '../errors.js';
import { DPKG_ADMIN_DIR } from './dpkg-database.js';
import { readImageInventory, type ImageInventory } from './image-inventory.js';
import { PACMAN_LOCAL_DIR } from './pacman-database.js';

const fsckErofs: ToolSpec = { names: ['fsck.erofs'], install: 'apt-get install erofs-utils', versionArgs: ['-V'] };
const debugfs: ToolSpec = { names: ['debugfs'], install: 'apt-get install e2fsprogs', versionArgs: ['-V'] };

/** An image file's inventory and where in the file it was read. */
export interface ImageFileInventory {
  inventory: ImageInventory;
  /** `squashfs`, `/live/filesystem.squashfs in the ISO`, `partition 3 (ext4) of the disk`... */
  source: string;
  /** What was left out (a live medium's layer images, other partitions). */
  notes: string[];
}

/** The squashfs paths a partial extraction takes: the package databases, os-release and copyright files. */
const DATABASE_PATHS = [
  DPKG_ADMIN_DIR,
  PACMAN_LOCAL_DIR,
  'var/lib/rpm',
  'usr/lib/sysimage/rpm',
  'usr/lib/rpm/macros',
  'usr/lib/rpm/macros.d',
  'etc/rpm',
  'etc/os-release',
  'usr/lib/os-release',
  'usr/share/doc/*/copyright',
];

/**
 * The inventory of a built image file: a squashfs (listed, then only its package database,
 * os-release, copyright files and symlinks extracted), an EROFS image (extracted with fsck.erofs),
 * an ISO (its live image copied out with xorriso, then as a squashfs or EROFS image) or a GPT
 * disk, raw or qcow2 (a qcow2 converted to raw first; its root partition: squashfs read in place, ext4 extracted with debugfs, EROFS copied
 * out). Everything goes to a temporary folder removed before returning.
 */
export async function imageFileInventory(file: string, signal?: AbortSignal): Promise<ImageFileInventory> {
  const { detectFileKind } = await import('../commands/inspect.js');
  const kind = await detectFileKind(file);
  const work = await mkdtemp(join(tmpdir(), 'distroforge-sizes-'));
  try {
    if (kind === 'squashfs')
      return { inventory: await squashfsInventory(file, 0, work, signal), source: 'squashfs image', notes: [] };
    if (kind === 'erofs')
      return { inventory: await erofsInventory(file, work, signal), source: 'EROFS image', notes: [] };
    if (kind === 'iso') return await isoInventory(file, work, signal);
    if (kind === 'disk') return await diskInventory(file, work, signal);
    throw new CliError(
      'ERR_USAGE',
      `${file} is a ${kind} file: inspect --sizes reads a profile, a squashfs or EROFS image, an ISO or a disk image`,
      { path: file, value: kind, hint: 'give the image or the profile it was built from' },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A squashfs image's regular files with their sizes, symlinks and whiteouts (overlayfs' char 0:0), from `unsquashfs -lln`. */
async function listSquashfsTree(
  image: string,
  offset: number,
  signal?: AbortSignal,
): Promise<{ files: Map<string, number>; links: string[]; whiteouts: string[] }> {
  const { parseListLine } = await import('@distroforge/squashfs-wrap');
  const unsquashfs = await findTool(knownTools.unsquashfs);
  const at = offset > 0 ? ['-o', String(offset)] : [];
  const listing = await execa(unsquashfs.path, [...at, '-lln', '-UTC', '-d', '', image], {
    stdin: 'ignore',
    maxBuffer: 1 << 30,
    env: { LC_ALL: 'C' },
    ...(signal ? { cancelSignal: signal } : {}),
  });
  const files = new Map<string, number>();
  const links: string[] = [];
  const whiteouts: string[] = [];
  for (const line of listing.stdout.split('\n')) {
    if (line === '') continue;
    const entry = parseListLine(line);
    if (entry.type === 'file') files.set(entry.path, entry.size);
    else if (entry.type === 'symlink') links.push(entry.path.slice(1));
    else if (entry.type === 'char' && entry.major === 0 && entry.minor === 0) whiteouts.push(entry.path);
  }
  return { files, links, whiteouts };
}

/**
 * A squashfs root's inventory: its files from the listing, with `layers` (live-boot layer images,
 * lowest first) stacked on top as overlayfs does (a layer's file replaces the one below, its
 * whiteout hides a path and what is under it); only the package database, os-release, copyright
 * files and symlinks are extracted.
 */
async function squashfsInventory(
  image: string,
  offset: number,
  work: string,
  signal?: AbortSignal,
  layers: readonly string[] = [],
): Promise<ImageInventory> {
  const unsquashfs = await findTool(knownTools.unsquashfs);
  const at = offset > 0 ? ['-o', String(offset)] : [];
  const { files, links } = await listSquashfsTree(image, offset, signal);
  for (const layer of layers) {
    const above = await listSquashfsTree(layer, 0, signal);
    for (const hidden of above.whiteouts)
      for (const path of [...files.keys()]) if (path === hidden || path.startsWith(`${hidden}/`)) files.delete(path);
    for (const [path, bytes] of above.files) files.set(path, bytes);
  }
  // Symlinks come too, so paths recorded through /bin or /lib resolve as in the image.
  const list = join(work, 'extract-list');
  await writeFile(list, `${[...DATABASE_PATHS, ...links].join('\n')}\n`);
  const root = join(work, 'root');
  await execa(unsquashfs.path, [...at, '-n', '-no-xattrs', '-d', root, '-ef', list, image], {
    stdin: 'ignore',
    env: { LC_ALL: 'C' },
    ...(signal ? { cancelSignal: signal } : {}),
  });
  return readImageInventory(root, { files, ...(signal ? { signal } : {}) });
}

async function erofsInventory(image: string, work: string, signal?: AbortSignal): Promise<ImageInventory> {
  const fsck = await findTool(fsckErofs);
  const root = join(work, 'root');
  await execa(fsck.path, ['--no-preserve', `--extract=${root}`, image], {
    stdin: 'ignore',
    ...(signal ? { cancelSignal: signal } : {}),
  });
  return readImageInventory(root, signal ? { signal } : {});
}

async function isoInventory(iso: string, work: string, signal?: AbortSignal): Promise<ImageFileInventory> {
  const { inspectIso } = await import('@distroforge/iso-assemble');
  const { detectFileKind } = await import('../commands/inspect.js');
  // Live images by their names (live-boot's, casper's, dracut's LiveOS/squashfs.img), biggest first.
  const images = (await inspectIso(iso)).files
    .filter((f) => f.type === 'file' && (/\.(squashfs|sfs|erofs)$/i.test(f.path) || /\/LiveOS\/\w+\.img$/.test(f.path)))
    .sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  const xorriso = await findTool(knownTools.xorriso);
  const copies = new Map<string, { file: string; kind: string | undefined }>();
  for (const [i, image] of images.entries()) {
    const file = join(work, `live-image-${i}`);
    await execa(xorriso.path, ['-no_rc', '-osirrox', 'on', '-indev', iso, '-extract', image.path, file], {
      stdin: 'ignore',
      env: { LC_ALL: 'C' },
      ...(signal ? { cancelSignal: signal } : {}),
    });
    copies.set(image.path, { file, kind: await detectFileKind(file).catch(() => undefined) });
  }
  for (const [i, image] of images.entries()) {
    const copy = copies.get(image.path) as { file: string; kind: string | undefined };
    // The other squashfs images beside it are its layers (distroforge's live root: the image of
    // the bootstrapped root and the overlay's layer), stacked in name order.
    const folder = image.path.slice(0, image.path.lastIndexOf('/') + 1);
    const layers = images
      .filter((l) => l !== image && l.path.startsWith(folder) && !l.path.slice(folder.length).includes('/'))
      .filter((l) => copies.get(l.path)?.kind === 'squashfs')
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    const inner = join(work, `image-${i}`);
    await mkdir(inner);
    const inventory =
      copy.kind === 'squashfs'
        ? await squashfsInventory(
            copy.file,
            0,
            inner,
            signal,
            layers.map((l) => (copies.get(l.path) as { file: string }).file),
          ).catch(noDatabase)
        : copy.kind === 'erofs'
          ? await erofsInventory(copy.file, inner, signal).catch(noDatabase)
          : undefined;
    await rm(inner, { recursive: true, force: true });
    if (inventory) {
      const stacked = copy.kind === 'squashfs' ? layers.map((l) => l.path) : [];
      const others = images.filter((l) => l !== image && !stacked.includes(l.path)).map((l) => l.path);
      return {
        inventory,
        source: `${image.path} in the ISO`,
        notes: [
          ...(stacked.length > 0
            ? [`with its layer${stacked.length > 1 ? 's' : ''} ${stacked.join(', ')} on top`]
            : []),
          ...(others.length > 0 ? [`not counted: ${others.join(', ')}`] : []),
        ],
      };
    }
  }
  throw new CliError('ERR_INVENTORY_UNREADABLE', `${iso}: no live image with a package database on the ISO`, {
    path: iso,
    value: images.map((i) => i.path),
    hint: 'give the profile the ISO was built from, or its root image',
  });
}

async function diskInventory(file: string, work: string, signal?: AbortSignal): Promise<ImageFileInventory> {
  const { inspectDisk } = await import('@distroforge/disk-assemble');
  const handle = await open(file, 'r');
  const magic = Buffer.alloc(4);
  await handle.read(magic, 0, 4, 0).finally(() => handle.close());
  // A qcow2 disk is read from a raw copy (sparse: as big as the data it holds).
  const disk = magic.toString('latin1') === 'QFI\xfb' ? join(work, 'disk.raw') : file;
  if (disk !== file) {
    const qemuImg = await findTool(knownTools.qemuImg);
    await execa(qemuImg.path, ['convert', '-q', '-f', 'qcow2', '-O', 'raw', file, disk], {
      stdin: 'ignore',
      ...(signal ? { cancelSignal: signal } : {}),
    });
  }
  const inspection = await inspectDisk(disk);
  const roots = inspection.partitions
    .filter((p) => p.filesystem && ['ext4', 'ext2/3', 'squashfs', 'erofs'].includes(p.filesystem.type))
    .sort((a, b) => b.size - a.size || a.index - b.index);
  for (const partition of roots) {
    const type = partition.filesystem?.type as string;
    const inner = join(work, `partition-${partition.index}`);
    await mkdir(inner);
    let inventory: ImageInventory | undefined;
    if (type === 'squashfs')
      inventory = await squashfsInventory(disk, partition.start, inner, signal).catch(noDatabase);
    else if (type === 'erofs') {
      const copy = join(inner, 'erofs.img');
      await pipeline(
        createReadStream(disk, { start: partition.start, end: partition.start + partition.size - 1 }),
        createWriteStream(copy),
      );
      inventory = await erofsInventory(copy, inner, signal).catch(noDatabase);
    } else {
      const tool = await findTool(debugfs);
      const root = join(inner, 'root');
      await mkdir(root);
      await execa(tool.path, ['-R', `rdump / ${root}`, `${disk}?offset=${partition.start}`], {
        stdin: 'ignore',
        ...(signal ? { cancelSignal: signal } : {}),
      });
      inventory = await readImageInventory(root, signal ? { signal } : {}).catch(noDatabase);
    }
    await rm(inner, { recursive: true, force: true });
    if (inventory)
      return {
        inventory,
        source: `partition ${partition.index} (${partition.name || type}, ${type}) of the disk`,
        notes: [],
      };
  }
  throw new CliError('ERR_INVENTORY_UNREADABLE', `${file}: no partition with a package database`, {
    path: file,
    hint: 'give the profile the disk was built from',
  });
}

/** A filesystem without a package database is skipped (the next one is tried); other failures stand. */
function noDatabase(error: unknown): undefined {
  if ((error as { code?: string }).code === 'ERR_INVENTORY_UNREADABLE') return undefined;
  throw error;
}
