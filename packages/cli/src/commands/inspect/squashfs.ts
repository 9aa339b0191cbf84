import { findTool, knownTools } from '@distroforge/core';
import { listSquashfs, squashfsInfo } from '@distroforge/squashfs-wrap';
import { resolve } from 'node:path';
import { humanSize, type HumanReport } from '../inspect-render.js';
import { countsText, fileTable } from './file-table.js';
import type { Inspection } from './inspection.js';
import { octal } from './octal.js';
import { packagesFromBuildReport, packagesInSquashfs } from './package-count.js';
import { typeBits } from './type-bits.js';

export async function inspectSquashfsFile(file: string): Promise<Inspection> {
  const [info, entries] = await Promise.all([squashfsInfo(file), listSquashfs(file)]);
  const unsquashfs = await findTool(knownTools.unsquashfs);
  const packages = (await packagesInSquashfs(resolve(file), unsquashfs.path)) ?? (await packagesFromBuildReport(file));
  const rows = entries.map((e) => ({
    mode: typeBits[e.type] | e.mode,
    size: e.size,
    path: e.path,
    note: e.target !== undefined ? `-> ${e.target}` : e.major !== undefined ? `(${e.major},${e.minor})` : undefined,
  }));
  const files = entries.filter((e) => e.type === 'file');
  const bytes = files.reduce((n, e) => n + e.size, 0);
  const options = Object.entries(info.compressorOptions).map(([k, v]) => `${k} ${v}`);
  const human: HumanReport = {
    title: `squashfs filesystem, ${info.compression}, ${humanSize(info.bytesUsed)}`,
    facts: [
      ['compression', [info.compression, ...options].join(', ')],
      ['block size', humanSize(info.blockSize)],
      [
        'created',
        new Date(info.mkfsTime * 1000)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.000Z$/, ' UTC'),
      ],
      ['inodes', String(info.inodeCount)],
      ['contents', countsText(rows)],
      [
        'size',
        `${humanSize(info.bytesUsed)} image for ${humanSize(bytes)} of files${bytes > 0 ? ` (${Math.round((info.bytesUsed / bytes) * 100)}%)` : ''}`,
      ],
      ['packages', packages ? `${packages.count} (from ${packages.source})` : 'no package database found'],
    ],
    sections: [],
    files: { heading: `Files (${rows.length})`, table: fileTable(rows) },
  };
  return {
    file,
    kind: 'squashfs',
    summary: { ...info, ...(packages ? { packages: packages.count } : {}) },
    entries: entries.map(
      (e) =>
        `${octal(e.mode)} ${e.uid}/${e.gid} ${String(e.size).padStart(10)} ${e.path}${e.target ? ` -> ${e.target}` : ''}`,
    ),
    human,
  };
}
