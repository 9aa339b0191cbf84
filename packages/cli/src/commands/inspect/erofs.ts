import { findTool, knownTools } from '@distroforge/core';
import { execa } from 'execa';
import { open } from 'node:fs/promises';
import { humanSize, type HumanReport } from '../inspect-render.js';
import type { Inspection } from './inspection.js';
import { plural } from './file-table.js';
import { packagesFromBuildReport } from './package-count.js';

/** The EROFS superblock (at byte 1024) fields a person asks about; layout from erofs_fs.h. */
export interface ErofsSuperblock {
  blockSize: number;
  inodes: number;
  buildTime: number;
  blocks: number;
  uuid: string;
  volumeName: string;
  /** Compressors the image may use: from the algorithm bitmap with COMPR_CFGS, else lz4 (the only one before it). */
  compressors: string[];
}

const algorithms = ['lz4', 'lzma', 'deflate', 'zstd'];

export function parseErofsSuperblock(sb: Buffer): ErofsSuperblock {
  const incompat = sb.readUInt32LE(0x50);
  const bitmap = incompat & 0x2 ? sb.readUInt16LE(0x54) : 0b1;
  const hex = sb.subarray(0x30, 0x40).toString('hex');
  return {
    blockSize: 2 ** (sb[0x0c] ?? 12),
    inodes: Number(sb.readBigUInt64LE(0x10)),
    buildTime: Number(sb.readBigUInt64LE(0x18)),
    blocks: sb.readUInt32LE(0x24),
    uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    volumeName: sb.toString('latin1', 0x40, 0x50).replace(/\0+$/, ''),
    compressors: algorithms.filter((_, i) => bitmap & (1 << i)),
  };
}

/** `dump.erofs -S`'s counts: `Filesystem regular file count:  129` and the byte totals. */
function statistic(text: string, label: string): number {
  const m = new RegExp(`^Filesystem ${label}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export async function inspectErofsFile(file: string): Promise<Inspection> {
  const sb = Buffer.alloc(128);
  const handle = await open(file, 'r');
  await handle.read(sb, 0, sb.length, 1024).finally(() => handle.close());
  const superblock = parseErofsSuperblock(sb);
  const dump = await findTool(knownTools.dumpErofs);
  const { stdout } = await execa(dump.path, ['-s', '-S', file], { stdin: 'ignore', env: { LC_ALL: 'C' } });
  const counts = {
    files: statistic(stdout, 'regular file count'),
    directories: statistic(stdout, 'directory count'),
    symlinks: statistic(stdout, 'symlink file count'),
    compressedFiles: statistic(stdout, 'compressed files'),
    bytes: statistic(stdout, 'total original file size'),
    storedBytes: statistic(stdout, 'total file size'),
  };
  const compression = counts.compressedFiles > 0 ? superblock.compressors.join(', ') : 'none';
  const size = superblock.blocks * superblock.blockSize;
  const packages = await packagesFromBuildReport(file);
  const human: HumanReport = {
    title: `EROFS filesystem, ${compression === 'none' ? 'uncompressed' : compression}, ${humanSize(size)}`,
    facts: [
      ['compression', `${compression} (${plural(counts.compressedFiles, 'file')} compressed)`],
      ['block size', humanSize(superblock.blockSize)],
      [
        'created',
        new Date(superblock.buildTime * 1000)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.000Z$/, ' UTC'),
      ],
      ['uuid', superblock.uuid],
      ...(superblock.volumeName ? [['volume name', superblock.volumeName] as [string, string]] : []),
      [
        'contents',
        `${plural(counts.files, 'file')}, ${plural(counts.directories, 'directory', 'directories')}, ${plural(counts.symlinks, 'symlink')}; ${humanSize(counts.bytes)} in files`,
      ],
      [
        'size',
        `${humanSize(size)} image, ${humanSize(counts.storedBytes)} stored for ${humanSize(counts.bytes)} of files`,
      ],
      [
        'packages',
        packages ? `${packages.count} (from ${packages.source})` : 'unknown (no build-report.json lists it)',
      ],
      // erofs-utils has no recursive listing: extracting is the way to look inside.
      ['files', `not listed here: fsck.erofs --extract=DIR ${file}`],
    ],
    sections: [],
    files: { heading: 'Files', table: { columns: [], rows: [] } },
  };
  return {
    file,
    kind: 'erofs',
    summary: { ...superblock, compression, ...counts, ...(packages ? { packages: packages.count } : {}) },
    entries: [],
    human,
  };
}
