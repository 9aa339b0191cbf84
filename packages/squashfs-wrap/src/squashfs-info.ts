import { ToolFailedError } from '@distroforge/core';
import { execa } from 'execa';
import { resolve } from 'node:path';
import { ToolOutputError } from './errors.js';
import { findUnsquashfs } from './tools.js';

export interface SquashfsInfo {
  /** Compressor name as stored in the superblock (`zstd`, `xz`, ...). */
  compression: string;
  blockSize: number;
  /** Superblock creation time, seconds since 1970. */
  mkfsTime: number;
  inodeCount: number;
  /** Filesystem size in bytes as stored in the superblock. */
  bytesUsed: number;
  /** `-Xcompression-level` and other compressor options, when stored. */
  compressorOptions: Record<string, string>;
}

/** Reads the superblock with `unsquashfs -s` (and `-mkfs-time` for the exact creation time). */
export async function squashfsInfo(image: string): Promise<SquashfsInfo> {
  const tool = await findUnsquashfs();
  const file = resolve(image);
  const text = await run(tool.path, ['-s', file]);
  const mkfsTime = Number((await run(tool.path, ['-mkfs-time', file])).trim());
  const field = (re: RegExp): string => {
    const m = re.exec(text);
    if (!m?.[1]) throw new ToolOutputError('unsquashfs -s', text.slice(0, 500), { path: file, value: re.source });
    return m[1];
  };
  // Non-default compressor options follow the Compression line, tab-indented: `\tcompression-level 19`,
  // `\tcompression level 9` (lzo), `\talgorithm lzo1x_999`; keys are normalised to dashes.
  const compressorOptions: Record<string, string> = {};
  const block = /^Compression \S+\n((?:\t.*\n)*)/mu.exec(text)?.[1] ?? '';
  for (const m of block.matchAll(/^\t(.+) (\S+)$/gmu))
    compressorOptions[(m[1] ?? '').trim().replace(/\s+/g, '-')] = m[2] ?? '';
  if (!Number.isInteger(mkfsTime)) throw new ToolOutputError('unsquashfs -mkfs-time', String(mkfsTime), { path: file });
  return {
    compression: field(/^Compression (\S+)$/mu),
    blockSize: Number(field(/^Block size (\d+)$/mu)),
    mkfsTime,
    inodeCount: Number(field(/^Number of inodes (\d+)$/mu)),
    bytesUsed: Number(field(/^Filesystem size (\d+) bytes/mu)),
    compressorOptions,
  };
}

async function run(path: string, args: string[]): Promise<string> {
  const result = await execa(path, args, {
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
    env: { LC_ALL: 'C', TZ: 'UTC' },
  });
  if (result.exitCode !== 0 || result.failed)
    throw new ToolFailedError([path, ...args], result.exitCode, String(result.stderr).slice(-2000), {
      path: args.at(-1),
    });
  return String(result.stdout);
}
