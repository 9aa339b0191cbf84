import { compareBytewise, type Manifest, type ManifestEntry } from '@distroforge/core';
import { lstat, readlink } from 'node:fs/promises';
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import {
  InvalidOptionsError,
  ManifestMismatchError,
  ManifestPathMissingError,
  SquashfsFeatureError,
} from './errors.js';
import { encodeFileCapabilities } from './file-capabilities.js';
import { xattrPseudoVersion } from './tools.js';

export interface PseudoPlan {
  /** Lines of the `-pf` file, parents before children. */
  lines: string[];
  /** `-root-mode/-root-uid/-root-gid` for a manifest entry on `/` (pseudo definitions cannot name the root). */
  rootArgs: string[];
  /** True when some entry carries caps (xattr pseudo definitions). */
  usesXattrs: boolean;
  /** Paths whose caps were left out because the tool is too old and the caller said `drop`. */
  droppedCaps: string[];
}

export interface PseudoContext {
  source: string;
  /** Timestamp of nodes the manifest creates (they have no mtime on disk). */
  time: number;
  isExcluded: (path: string) => boolean;
  /** The found mksquashfs version and whether it has `x` definitions. */
  tool: { version: string; xattrPseudo: boolean };
  /** What to do with caps when the tool lacks `x` definitions (default `error`). */
  unsupportedCaps?: 'error' | 'drop';
  /** `root`: paths the manifest does not own are stored 0:0 whatever their owner on disk. */
  owner?: 'disk' | 'root';
}

type DiskType = NonNullable<ManifestEntry['type']>;

/**
 * Turns the manifest into mksquashfs pseudo definitions, so owners, modes, devices, fifos and caps
 * are right in the image without root: an entry on a path that exists on disk becomes `m`
 * (modify: mode uid gid, unset fields taken from disk); a path not on disk is created (`D`, `C`,
 * `B`, `I`, `S` with an explicit timestamp so the image stays reproducible), with missing parent
 * directories created 0755 root:root.
 */
export async function planPseudoDefinitions(manifest: Manifest, ctx: PseudoContext): Promise<PseudoPlan> {
  const byPath = new Map<string, string[]>();
  const created = new Set<string>();
  const rootArgs: string[] = [];
  let usesXattrs = false;
  const droppedCaps: string[] = [];
  const entries = [...manifest.entries].sort((a, b) => compareBytewise(a.path, b.path));
  const asRoot = ctx.owner === 'root';
  if (asRoot) {
    // Every path the builder owns that the manifest leaves alone becomes root's.
    const named = new Set(entries.map((e) => e.path));
    if (!named.has('/')) rootArgs.push('-root-uid', '0', '-root-gid', '0');
    for (const { path, stats } of walkOwnedByOthers(ctx.source, ctx.isExcluded)) {
      if (!named.has(path)) byPath.set(path, [`${quote(path)} m ${octal(stats.mode & 0o7777)} 0 0`]);
    }
  }

  for (const entry of entries) {
    if (entry.path.includes('\n'))
      throw new InvalidOptionsError(`manifest path ${JSON.stringify(entry.path)} contains a newline`, {
        value: entry.path,
      });
    if (entry.path !== '/' && ctx.isExcluded(entry.path)) continue;
    const stats = await lstatOrUndefined(join(ctx.source, entry.path));
    const lines: string[] = [];
    if (entry.path === '/') {
      if (entry.mode !== undefined) rootArgs.push('-root-mode', octal(entry.mode));
      const uid = entry.uid ?? (asRoot ? 0 : undefined);
      const gid = entry.gid ?? (asRoot ? 0 : undefined);
      if (uid !== undefined) rootArgs.push('-root-uid', String(uid));
      if (gid !== undefined) rootArgs.push('-root-gid', String(gid));
    } else if (stats) {
      const onDisk = diskType(stats);
      if (entry.type !== undefined && entry.type !== onDisk)
        throw new ManifestMismatchError(entry.path, `manifest type ${entry.type}, on disk ${onDisk}`, {
          path: join(ctx.source, entry.path),
        });
      if (entry.target !== undefined && onDisk === 'symlink') {
        const target = await readlink(join(ctx.source, entry.path));
        if (target !== entry.target)
          throw new ManifestMismatchError(
            entry.path,
            `symlink target ${JSON.stringify(entry.target)} vs ${JSON.stringify(target)} on disk`,
          );
      }
      if (entry.mode !== undefined || entry.uid !== undefined || entry.gid !== undefined) {
        lines.push(
          `${quote(entry.path)} m ${octal(entry.mode ?? stats.mode & 0o7777)} ${entry.uid ?? (asRoot ? 0 : stats.uid)} ${entry.gid ?? (asRoot ? 0 : stats.gid)}`,
        );
      }
    } else {
      lines.push(createDefinition(entry, ctx.time));
      created.add(entry.path);
    }
    if (entry.caps !== undefined && !ctx.tool.xattrPseudo && ctx.unsupportedCaps === 'drop') {
      droppedCaps.push(entry.path);
    } else if (entry.caps !== undefined) {
      if (!ctx.tool.xattrPseudo)
        throw new SquashfsFeatureError(
          `file capabilities (${entry.path}: ${entry.caps})`,
          ctx.tool.version,
          xattrPseudoVersion,
          { path: entry.path },
        );
      lines.push(`${quote(entry.path)} x security.capability=0x${encodeFileCapabilities(entry.caps).toString('hex')}`);
      usesXattrs = true;
    }
    if (lines.length) byPath.set(entry.path, lines);
  }

  // Parents of created nodes must exist, on disk, in the manifest, or created here.
  for (const path of [...created]) {
    for (let parent = posix.dirname(path); parent !== '/'; parent = posix.dirname(parent)) {
      if (created.has(parent) || byPath.has(parent)) continue;
      const stats = await lstatOrUndefined(join(ctx.source, parent));
      if (stats?.isDirectory()) break;
      if (stats) throw new ManifestMismatchError(path, `parent ${parent} is not a directory on disk`);
      byPath.set(parent, [`${quote(parent)} D ${ctx.time} 755 0 0`]);
      created.add(parent);
    }
  }
  const lines = [...byPath.keys()].sort(compareBytewise).flatMap((p) => byPath.get(p) ?? []);
  return { lines, rootArgs, usesXattrs, droppedCaps };
}

function createDefinition(entry: ManifestEntry, time: number): string {
  const owner = `${entry.uid ?? 0} ${entry.gid ?? 0}`;
  const name = quote(entry.path);
  switch (entry.type) {
    case 'dir':
      return `${name} D ${time} ${octal(entry.mode ?? 0o755)} ${owner}`;
    case 'char':
    case 'block':
      return `${name} ${entry.type === 'char' ? 'C' : 'B'} ${time} ${octal(entry.mode ?? 0o600)} ${owner} ${entry.major} ${entry.minor}`;
    case 'fifo':
    case 'socket':
      return `${name} I ${time} ${octal(entry.mode ?? 0o644)} ${owner} ${entry.type === 'fifo' ? 'f' : 's'}`;
    case 'symlink':
      if (entry.target === undefined || entry.target === '' || entry.target.includes('\n')) break;
      return `${name} S ${time} ${octal(entry.mode ?? 0o777)} ${owner} ${entry.target}`;
    default:
      break;
  }
  throw new ManifestPathMissingError(entry.path);
}

/** Paths (in-image, sorted) of the tree not owned by 0:0 on disk, excluded ones and their contents left out. */
function* walkOwnedByOthers(
  source: string,
  isExcluded: (path: string) => boolean,
): Generator<{ path: string; stats: Stats }> {
  const walk = function* (relative: string): Generator<{ path: string; stats: Stats }> {
    const names = readdirSync(join(source, relative)).sort();
    for (const name of names) {
      const path = `${relative}/${name}`;
      if (isExcluded(path)) continue;
      const stats = lstatSync(join(source, path)); // sync: tens of thousands of tiny calls
      if (stats.uid !== 0 || stats.gid !== 0) yield { path, stats };
      if (stats.isDirectory()) yield* walk(path);
    }
  };
  yield* walk('');
}

function diskType(stats: Stats): DiskType {
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return 'file';
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Pseudo-file names: relative, double-quoted, `"` and `\` escaped (mksquashfs' own quoting). */
function quote(path: string): string {
  return `"${path.slice(1).replace(/[\\"]/g, '\\$&')}"`;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
