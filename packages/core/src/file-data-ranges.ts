import { findTool } from './find-tool.js';
import { knownTools } from './known-tools.js';

/** A byte range `[start, end)` of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Filesystems whose FIEMAP reports delayed-allocation (written but not yet flushed) extents, so
 * every byte outside the map reads as zero even right after a write: ext2/3/4, XFS, Btrfs.
 */
const TRUSTED_FILESYSTEMS = new Set(['ef53', '58465342', '9123683e']);

/**
 * The ranges of a file that hold data, from its extent map (`filefrag -e`, FIEMAP); everything
 * else is a hole. Undefined when the map cannot be trusted (filefrag missing, another filesystem,
 * output not understood): the caller then reads the whole file.
 */
export async function fileDataRanges(path: string, size: number): Promise<ByteRange[] | undefined> {
  const tool = await findTool(knownTools.filefrag).catch(() => undefined);
  if (!tool) return undefined;
  const { execa } = await import('execa');
  const run = await execa(tool.path, ['-e', path], { reject: false, stdin: 'ignore', env: { LC_ALL: 'C' } });
  if (run.exitCode !== 0) return undefined;
  return parseFilefrag(String(run.stdout), size);
}

/** Parses `filefrag -e` output into merged byte ranges clamped to `size`; undefined if it is not a trusted FIEMAP listing. */
export function parseFilefrag(output: string, size: number): ByteRange[] | undefined {
  const lines = output.split('\n');
  const fsType = /^Filesystem type is: ([0-9a-f]+)$/.exec(lines[0]?.trim() ?? '')?.[1];
  const blockSize = Number(/\((\d+) blocks? of (\d+) bytes\)\s*$/.exec(lines[1] ?? '')?.[2]);
  if (
    !fsType ||
    !TRUSTED_FILESYSTEMS.has(fsType) ||
    !(blockSize > 0) ||
    !/^\s*ext:\s+logical_offset:/.test(lines[2] ?? '')
  )
    return undefined;
  const ranges: ByteRange[] = [];
  for (const line of lines.slice(3)) {
    const extent = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):/.exec(line);
    if (!extent) {
      if (/^\S.*: \d+ extents? found$/.test(line.trim()) || line.trim() === '') continue;
      return undefined;
    }
    const start = Number(extent[1]) * blockSize;
    const end = Math.min((Number(extent[2]) + 1) * blockSize, size);
    if (start >= end) continue;
    const last = ranges.at(-1);
    if (last && start < last.end) return undefined;
    if (last && start === last.end) last.end = end;
    else ranges.push({ start, end });
  }
  return ranges;
}
