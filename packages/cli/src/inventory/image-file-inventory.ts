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

async function squashfsInventory(
  image: string,
  offset: number,
  work: string,
  signal?: AbortSignal,
): Promise<ImageInventory> {
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
  for (const line of listing.stdout.split('\n')) {
    if (line === '') continue;
    const entry = parseListLine(line);
    if (entry.type === 'file') files.set(entry.path, entry.size);
    else if (entry.type === 'symlink') links.push(entry.path.slice(1));
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
  const images = (await inspectIso(iso)).files
    .filter(
      (f) =>
        f.type === 'file' && /\.(squashfs|sfs|erofs|img)$/i.test(f.path) && /live|squashfs|sfs|erofs/i.test(f.path),
    )
    .sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  const xorriso = await findTool(knownTools.xorriso);
  const tried: string[] = [];
  for (const image of images) {
    const copy = join(work, 'live-image');
    await rm(copy, { force: true });
    await execa(xorriso.path, ['-no_rc', '-osirrox', 'on', '-indev', iso, '-extract', image.path, copy], {
      stdin: 'ignore',
      env: { LC_ALL: 'C' },
      ...(signal ? { cancelSignal: signal } : {}),
    });
    const { detectFileKind } = await import('../commands/inspect.js');
    const kind = await detectFileKind(copy).catch(() => undefined);
    const inner = join(work, `image-${tried.length}`);
    await mkdir(inner);
    const inventory =
      kind === 'squashfs'
        ? await squashfsInventory(copy, 0, inner, signal).catch(noDatabase)
        : kind === 'erofs'
          ? await erofsInventory(copy, inner, signal).catch(noDatabase)
          : undefined;
    await rm(inner, { recursive: true, force: true });
    if (inventory) {
      const others = images.filter((i) => i !== image).map((i) => i.path);
      return {
        inventory,
        source: `${image.path} in the ISO`,
        notes: others.length > 0 ? [`not counted (no package database, e.g. a layer): ${others.join(', ')}`] : [],
      };
    }
    tried.push(image.path);
  }
  throw new CliError('ERR_INVENTORY_UNREADABLE', `${iso}: no live image with a package database on the ISO`, {
    path: iso,
    value: tried,
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
