import { compareBytewise } from '@distroforge/core';
import { lstat, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { archivePath, type CpioEntry } from './cpio-entry.js';
import { CpioSpecError } from './errors.js';

export interface SpecInputOptions {
  /** Directory that relative `file` locations are resolved against (default: the spec file's directory). */
  baseDir?: string | undefined;
}

/**
 * Parses the kernel's `gen_init_cpio` spec format:
 * ```
 * file <name> <location> <mode> <uid> <gid> [<hard links>...]
 * dir <name> <mode> <uid> <gid>
 * nod <name> <mode> <uid> <gid> <b|c> <maj> <min>
 * slink <name> <target> <mode> <uid> <gid>
 * pipe <name> <mode> <uid> <gid>
 * sock <name> <mode> <uid> <gid>
 * ```
 * Entries are returned sorted by name (byte order) so the archive does not depend on line order.
 * File mtimes come from the files on disk, other entries have none (the writer's epoch or 0).
 */
export async function entriesFromSpec(specFile: string, options: SpecInputOptions = {}): Promise<CpioEntry[]> {
  const text = await readFile(specFile, 'utf8');
  return parseSpec(text, { file: specFile, baseDir: options.baseDir ?? dirname(resolve(specFile)) });
}

/** Parses spec text (see `entriesFromSpec`); `file` only names the source in errors. */
export async function parseSpec(text: string, where: { file?: string; baseDir: string }): Promise<CpioEntry[]> {
  const file = where.file ?? '<spec>';
  const entries: CpioEntry[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (message: string): never => {
      throw new CpioSpecError(file, index + 1, message, line);
    };
    const [kind, ...args] = line.split(/\s+/) as [string, ...string[]];
    const need = (count: number, usage: string): void => {
      if (args.length < count || (kind !== 'file' && args.length > count)) fail(`expected: ${kind} ${usage}`);
    };
    const octal = (value: string | undefined, what: string): number => {
      if (value === undefined || !/^[0-7]{1,6}$/.test(value)) fail(`${what} must be octal`);
      const parsed = Number.parseInt(value as string, 8);
      if (parsed > 0o7777) fail(`${what} must be at most 7777`);
      return parsed;
    };
    const id = (value: string | undefined, what: string): number => {
      if (value === undefined || !/^\d+$/.test(value)) fail(`${what} must be a decimal number`);
      return Number.parseInt(value as string, 10);
    };
    const name = (value: string | undefined): string => {
      try {
        return archivePath(value as string);
      } catch (error) {
        return fail((error as Error).message);
      }
    };
    switch (kind) {
      case 'file': {
        need(5, '<name> <location> <mode> <uid> <gid> [<hard links>]');
        const [n, location, mode, uid, gid, ...links] = args;
        const source = resolve(where.baseDir, location as string);
        const stats = await lstat(source).catch(() => fail(`cannot read ${source}`));
        if (!stats.isFile()) fail(`${source} is not a regular file`);
        const entry: CpioEntry = {
          path: name(n),
          type: 'file',
          mode: octal(mode, 'mode'),
          uid: id(uid, 'uid'),
          gid: id(gid, 'gid'),
          mtime: Math.floor(stats.mtimeMs / 1000),
          source,
          size: stats.size,
        };
        if (links.length) entry.links = links.map(name);
        entries.push(entry);
        break;
      }
      case 'dir': {
        need(4, '<name> <mode> <uid> <gid>');
        entries.push({
          path: name(args[0]),
          type: 'dir',
          mode: octal(args[1], 'mode'),
          uid: id(args[2], 'uid'),
          gid: id(args[3], 'gid'),
        });
        break;
      }
      case 'nod': {
        need(7, '<name> <mode> <uid> <gid> <b|c> <maj> <min>');
        const devType = args[4];
        if (devType !== 'b' && devType !== 'c') fail('device type must be b or c');
        entries.push({
          path: name(args[0]),
          type: devType === 'b' ? 'block' : 'char',
          mode: octal(args[1], 'mode'),
          uid: id(args[2], 'uid'),
          gid: id(args[3], 'gid'),
          major: id(args[5], 'major'),
          minor: id(args[6], 'minor'),
        });
        break;
      }
      case 'slink': {
        need(5, '<name> <target> <mode> <uid> <gid>');
        entries.push({
          path: name(args[0]),
          type: 'symlink',
          target: args[1] as string,
          mode: octal(args[2], 'mode'),
          uid: id(args[3], 'uid'),
          gid: id(args[4], 'gid'),
        });
        break;
      }
      case 'pipe':
      case 'sock': {
        need(4, '<name> <mode> <uid> <gid>');
        entries.push({
          path: name(args[0]),
          type: kind === 'pipe' ? 'fifo' : 'socket',
          mode: octal(args[1], 'mode'),
          uid: id(args[2], 'uid'),
          gid: id(args[3], 'gid'),
        });
        break;
      }
      default:
        fail(`unknown entry type ${JSON.stringify(kind)}`);
    }
  }
  return entries.sort((a, b) => compareBytewise(a.path, b.path));
}
