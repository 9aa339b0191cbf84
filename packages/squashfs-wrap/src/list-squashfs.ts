import { execa } from 'execa';
import { resolve } from 'node:path';
import { ToolFailedError } from '@distroforge/core';
import { ToolOutputError } from './errors.js';
import { findUnsquashfs } from './tools.js';

export type SquashfsEntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface SquashfsEntry {
  /** Absolute path inside the image (`/` for the root). */
  path: string;
  type: SquashfsEntryType;
  /** Permission bits including setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Size in bytes (files, symlinks, directories as squashfs reports them); 0 for devices. */
  size: number;
  major?: number;
  minor?: number;
  target?: string;
  /** Modification time as unsquashfs prints it: `YYYY-MM-DD HH:MM`, UTC (minute precision). */
  mtime: string;
}

const typeChars: Record<string, SquashfsEntryType> = {
  '-': 'file',
  d: 'dir',
  l: 'symlink',
  c: 'char',
  b: 'block',
  p: 'fifo',
  s: 'socket',
};
const line = /^([-dlcbps])([rwxsStT-]{9}) (\d+)\/(\d+) +(?:(\d+)|(\d+), *(\d+)) (\d{4}-\d\d-\d\d \d\d:\d\d) (.*)$/su;

/** Lists an image with `unsquashfs -lln` (numeric owners, UTC times), sorted as the image stores it. */
export async function listSquashfs(image: string): Promise<SquashfsEntry[]> {
  const tool = await findUnsquashfs();
  const args = ['-lln', '-UTC', '-d', '', resolve(image)];
  const result = await execa(tool.path, args, {
    reject: false,
    stdin: 'ignore',
    timeout: 600_000,
    maxBuffer: 1 << 30,
    env: { LC_ALL: 'C' },
    stripFinalNewline: true,
  });
  if (result.exitCode !== 0 || result.failed)
    throw new ToolFailedError([tool.path, ...args], result.exitCode, String(result.stderr).slice(-2000), {
      path: image,
    });
  return String(result.stdout)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseListLine(l));
}

/** Parses one `unsquashfs -lln` line. */
export function parseListLine(text: string): SquashfsEntry {
  const m = line.exec(text);
  if (!m) throw new ToolOutputError('unsquashfs -lln', text);
  const type = typeChars[m[1] ?? ''] ?? 'file';
  let path = m[9] ?? '';
  let target: string | undefined;
  if (type === 'symlink') {
    const arrow = path.indexOf(' -> ');
    if (arrow < 0) throw new ToolOutputError('unsquashfs -lln', text);
    target = path.slice(arrow + 4);
    path = path.slice(0, arrow);
  }
  const device = m[6] !== undefined;
  return {
    path: path === '' ? '/' : path,
    type,
    mode: parseMode(m[2] ?? ''),
    uid: Number(m[3]),
    gid: Number(m[4]),
    size: device ? 0 : Number(m[5]),
    ...(device ? { major: Number(m[6]), minor: Number(m[7]) } : {}),
    ...(target !== undefined ? { target } : {}),
    mtime: m[8] ?? '',
  };
}

/** `rwsr-x--T` -> 0o4750 | sticky... */
function parseMode(perm: string): number {
  let mode = 0;
  for (let i = 0; i < 9; i++) {
    const c = perm[i] ?? '-';
    const bit = 1 << (8 - i);
    if (c === 'r' || c === 'w' || c === 'x' || c === 's' || c === 't') mode |= bit;
  }
  if (/[sS]/.test(perm[2] ?? '')) mode |= 0o4000;
  if (/[sS]/.test(perm[5] ?? '')) mode |= 0o2000;
  if (/[tT]/.test(perm[8] ?? '')) mode |= 0o1000;
  return mode;
}
