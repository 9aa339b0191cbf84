import { emptyManifest, parseOptions, sourceDateEpoch, writeAtomically, type Manifest } from '@distroforge/core';
import { createHash } from 'node:crypto';
import { lstat, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ErofsManifestUnsupportedError, invalidOptions, SquashfsError } from './errors.js';
import { excludeMatcher } from './exclude-match.js';
import { createErofsOptionsSchema, type CreateErofsOptions } from './options.js';
import { newestMtime } from './newest-mtime.js';
import { runLogged } from '@distroforge/core';
import { squashfsLogOptions } from './tool-log.js';
import { findMkfsErofs } from './tools.js';

export interface CreateErofsResult {
  output: string;
  size: number;
  logFile: string;
  sourceDateEpoch: number;
  uuid: string;
  toolVersion: string;
  args: string[];
}

/**
 * Packs `source` into an EROFS image with mkfs.erofs. erofs-utils 1.5 (Debian bookworm) has no
 * pseudo-file or per-file owner input, so the manifest is checked against the tree instead: every
 * entry the disk does not already match (owner, mode, type, devices, caps) is an
 * ERR_EROFS_MANIFEST_UNSUPPORTED. The epoch goes to mkfs.erofs as `SOURCE_DATE_EPOCH` (clamps
 * newer mtimes, keeps older ones) and `-T` (build time); without one, the newest mtime in the tree
 * is used. The UUID is derived from the epoch, options and manifest (never random).
 */
export async function createErofs(options: CreateErofsOptions): Promise<CreateErofsResult> {
  const opts = parseOptions(createErofsOptionsSchema, options, invalidOptions('createErofs'));
  const source = resolve(opts.source);
  const output = resolve(opts.output);
  const logFile = resolve(opts.logFile ?? `${output}.log`);
  const excludes = opts.excludes ?? [];
  const sourceStats = await stat(source).catch(() => undefined);
  if (!sourceStats?.isDirectory())
    throw new SquashfsError('ERR_SOURCE_NOT_DIRECTORY', `source ${source} is not a directory`, { path: source });
  // mkfs.erofs clamps mtimes to SOURCE_DATE_EPOCH; without one, the newest mtime clamps nothing.
  const epoch = opts.sourceDateEpoch ?? sourceDateEpoch() ?? (await newestMtime(source));
  const manifest = opts.manifest ?? emptyManifest();
  const unmet = await unmetEntries(manifest, source, excludeMatcher(excludes));
  if (unmet.length) throw new ErofsManifestUnsupportedError(unmet, { path: source });

  const tool = await findMkfsErofs();
  const uuid =
    opts.uuid ?? derivedUuid({ epoch, compression: opts.compression, excludes, manifest, tool: tool.version });
  const args = [`-T${epoch}`, `-U${uuid}`, '-x-1'];
  if (opts.compression)
    args.push(
      `-z${opts.compression.algorithm}${opts.compression.level === undefined ? '' : `,${opts.compression.level}`}`,
    );
  for (const e of excludes) args.push(`--exclude-regex=${globToRegex(e)}`);

  await writeAtomically(output, (temp) =>
    runLogged(tool.path, [...args, temp, source], {
      ...squashfsLogOptions(logFile),
      env: { SOURCE_DATE_EPOCH: String(epoch) },
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    }),
  );
  const { size } = await stat(output);
  return {
    output,
    size,
    logFile,
    sourceDateEpoch: epoch,
    uuid,
    toolVersion: tool.version,
    args: [...args, output, source],
  };
}

async function unmetEntries(manifest: Manifest, source: string, isExcluded: (p: string) => boolean): Promise<string[]> {
  const unmet: string[] = [];
  for (const entry of manifest.entries) {
    if (entry.path !== '/' && isExcluded(entry.path)) continue;
    const stats = await lstat(join(source, entry.path)).catch(() => undefined);
    const ok =
      stats !== undefined &&
      entry.caps === undefined &&
      (entry.uid === undefined || entry.uid === stats.uid) &&
      (entry.gid === undefined || entry.gid === stats.gid) &&
      (entry.mode === undefined || entry.mode === (stats.mode & 0o7777)) &&
      (entry.type === undefined || entry.type === typeOf(stats)) &&
      (entry.major === undefined || entry.major === devMajor(stats.rdev)) &&
      (entry.minor === undefined || entry.minor === devMinor(stats.rdev));
    if (!ok) unmet.push(entry.path);
  }
  return unmet;
}

/** glibc's gnu_dev_major/minor: 12-bit major and 20-bit minor split across the 32 low bits. */
const devMajor = (rdev: number) => Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
const devMinor = (rdev: number) => Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));

function typeOf(s: import('node:fs').Stats): string {
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isCharacterDevice()) return 'char';
  if (s.isBlockDevice()) return 'block';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  return 'file';
}

/** A name-based (v5-style) UUID from the inputs that shape the image, so rebuilds get the same one. */
function derivedUuid(inputs: unknown): string {
  const h = createHash('sha256').update(JSON.stringify(inputs)).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** mksquashfs-style wildcard exclude (relative to the root) as an --exclude-regex over root-relative paths. */
function globToRegex(glob: string): string {
  const body = glob
    .replace(/^\/+|\/+$/g, '')
    .split('')
    .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : /[.+^${}()|\\]/.test(c) ? `\\${c}` : c))
    .join('');
  return `^${body}(/.*)?$`;
}
