import { findTool, knownTools } from '@distroforge/core';
import { execa } from 'execa';
import { open } from 'node:fs/promises';
import { humanSize } from '../inspect-render.js';
import { parseErofsSuperblock } from './erofs.js';
import { packagesInSquashfs, type PackageCount } from './package-count.js';

/** Where a file's data lies in an ISO: byte offset of its first (and only) extent. */
export interface IsoExtent {
  path: string;
  offset: number;
  size: number;
}

/**
 * The extents of `paths` in an ISO, from xorriso's `-exec report_lba` (`File data lba: xt, start
 * lba, blocks, size, 'path'`). A file of several extents (over 4 GiB) is left out: it is not one
 * contiguous filesystem image to read in place.
 */
export async function isoExtents(iso: string, paths: readonly string[]): Promise<IsoExtent[]> {
  if (paths.length === 0) return [];
  const xorriso = await findTool(knownTools.xorriso);
  const { stdout, stderr } = await execa(
    xorriso.path,
    ['-no_rc', '-indev', iso, ...paths.flatMap((p) => ['-find', p, '-exec', 'report_lba', '--'])],
    { stdin: 'ignore', env: { LC_ALL: 'C' } },
  );
  const extents = new Map<string, IsoExtent & { count: number }>();
  for (const line of `${stdout}\n${stderr}`.split('\n')) {
    const m = /^File data lba:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*'(.*)'$/.exec(line);
    if (!m) continue;
    const path = (m[5] ?? '').replaceAll(`'"'"'`, "'");
    const known = extents.get(path);
    if (known) known.count++;
    else extents.set(path, { path, offset: Number(m[2]) * 2048, size: Number(m[4]), count: 1 });
  }
  return [...extents.values()].filter((e) => e.count === 1).map(({ count: _, ...e }) => e);
}

/** What a live root image inside an ISO is: its format and compression from its superblock, its packages. */
export interface LiveImageInfo {
  format: 'squashfs' | 'erofs' | 'unknown';
  compression: string | undefined;
  inodes: number | undefined;
  packages: PackageCount | undefined;
}

const squashfsCompressors = ['', 'gzip', 'lzma', 'lzo', 'xz', 'lz4', 'zstd'];

/**
 * Reads a live image in place inside the ISO: the squashfs superblock (compression id at byte 20,
 * inode count at 4) or the EROFS one (at 1024), and for a squashfs the package database through
 * `unsquashfs -o OFFSET`, so nothing is copied out.
 */
export async function readLiveImage(iso: string, extent: IsoExtent): Promise<LiveImageInfo> {
  const head = Buffer.alloc(1024 + 128);
  const handle = await open(iso, 'r');
  const { bytesRead } = await handle.read(head, 0, head.length, extent.offset).finally(() => handle.close());
  if (bytesRead >= 96 && head.toString('latin1', 0, 4) === 'hsqs') {
    const unsquashfs = await findTool(knownTools.unsquashfs);
    return {
      format: 'squashfs',
      compression: squashfsCompressors[head.readUInt16LE(20)] ?? `compressor ${head.readUInt16LE(20)}`,
      inodes: head.readUInt32LE(4),
      packages: await packagesInSquashfs(iso, unsquashfs.path, extent.offset).catch(() => undefined),
    };
  }
  if (bytesRead === head.length && head.readUInt32LE(1024) === 0xe0f5e1e2) {
    const sb = parseErofsSuperblock(head.subarray(1024));
    return { format: 'erofs', compression: sb.compressors.join(', '), inodes: sb.inodes, packages: undefined };
  }
  return { format: 'unknown', compression: undefined, inodes: undefined, packages: undefined };
}

/** `/live/filesystem.squashfs (380 MiB, squashfs xz, 45123 inodes)`. */
export function liveImageText(path: string, size: number, info: LiveImageInfo | undefined): string {
  if (!info || info.format === 'unknown') return `${path} (${humanSize(size)})`;
  return `${path} (${humanSize(size)}, ${info.format} ${info.compression}, ${info.inodes} inodes)`;
}
