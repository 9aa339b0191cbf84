import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { EspTooSmallError, InputMissingError, InvalidOptionsError } from './errors.js';
import { cachedArtifact, fileStamp, runLogged, sha256File } from '@distroforge/core';
import { findFatTools } from './tools.js';

/** One file of a FAT image: copied from `source` or written from `content`. */
export interface EspFile {
  /** Absolute path inside the FAT filesystem, e.g. `/EFI/BOOT/BOOTX64.EFI`. */
  path: string;
  source?: string;
  content?: string | Uint8Array;
}

export interface BuildEspImageOptions {
  output: string;
  files: readonly EspFile[];
  /** Timestamp of every file and directory. */
  sourceDateEpoch: number;
  /** FAT volume label (default `EFIBOOT`). */
  volumeLabel?: string;
  /** Volume serial; default derived from the files' paths and contents, so equal inputs give equal bytes. */
  serial?: number;
  /** Image size in bytes (multiple of 1 KiB); default: computed from the content. */
  size?: number;
  logFile: string;
  signal?: AbortSignal | undefined;
  /**
   * Where images are kept between builds (see core's cachedArtifact): an image of the same files
   * (by content), epoch, label, serial, size and FAT tools is copied, not rebuilt.
   */
  cacheDir?: string | undefined;
}

export interface EspImage {
  path: string;
  size: number;
  serial: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Bytes a FAT image needs for files of these sizes in `directories` directories. Conservative:
 * clusters counted as 4 KiB (mkfs.vfat picks 4 KiB or less up to 8 GiB), FATs as 4 bytes per
 * 512-byte sector of data, twice, plus the root directory, reserved sectors and 5% + 64 KiB slack.
 */
export function espSizeFor(fileSizes: readonly number[], directories: number): number {
  const cluster = 4 * KiB;
  const data = fileSizes.reduce((sum, size) => sum + Math.ceil(size / cluster) * cluster, 0) + directories * cluster;
  const fats = 2 * Math.ceil(data / 512) * 4;
  const needed = data + fats + 32 * KiB;
  return Math.max(MiB, Math.ceil((needed * 1.05 + 64 * KiB) / MiB) * MiB);
}

/**
 * Builds a FAT image (an EFI system partition) with mkfs.vfat and mtools: no loop mount, no root.
 * Deterministic: `--invariant` plus a serial from the content, every timestamp set to
 * `sourceDateEpoch` (mcopy -m keeps the source mtime, so staged copies get it first), files added
 * in sorted order.
 */
export async function buildEspImage(options: BuildEspImageOptions): Promise<EspImage> {
  const files = [...options.files].map((file) => ({ ...file, path: canonicalFatPath(file.path) }));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < files.length; i++) {
    if (files[i]?.path === files[i - 1]?.path)
      throw new InvalidOptionsError(`ESP file listed twice: ${files[i]?.path}`, { value: files[i]?.path });
  }
  const { mkfsVfat, mcopy, mmd } = await findFatTools();
  const key = {
    files: await Promise.all(files.map(async (f) => ({ path: f.path, sha256: await contentDigest(f) }))),
    epoch: options.sourceDateEpoch,
    label: options.volumeLabel,
    serial: options.serial,
    size: options.size,
    tools: await Promise.all([mkfsVfat.path, mcopy.path, mmd].map(fileStamp)),
  };
  const { result } = await cachedArtifact(options.cacheDir, 'esp', key, options.output, () =>
    buildFat(options, files, { mkfsVfat: mkfsVfat.path, mcopy: mcopy.path, mmd }),
  );
  return { path: options.output, ...result };
}

/** SHA-256 of what the file will hold (its source's bytes or its content). */
async function contentDigest(file: EspFile): Promise<string> {
  if ((file.source === undefined) === (file.content === undefined)) {
    throw new InvalidOptionsError(`ESP file ${file.path} needs exactly one of source or content`, { value: file.path });
  }
  if (file.content !== undefined) return createHash('sha256').update(file.content).digest('hex');
  const source = file.source as string;
  return sha256File(source).catch((cause: unknown) => {
    throw new InputMissingError(`ESP file ${file.path}`, source, { cause });
  });
}

async function buildFat(
  options: BuildEspImageOptions,
  files: Array<EspFile & { path: string }>,
  tools: { mkfsVfat: string; mcopy: string; mmd: string },
): Promise<{ size: number; serial: number }> {
  const { mkfsVfat, mcopy, mmd } = tools;
  const stage = await mkdtemp(join(tmpdir(), 'distroforge-esp-'));
  try {
    const staged = await Promise.all(
      files.map((file, index) => stageFile(file, join(stage, String(index)), options.sourceDateEpoch)),
    );
    const directories = fatDirectories(files.map((f) => f.path));
    const needed = espSizeFor(await Promise.all(staged.map(async (p) => (await stat(p)).size)), directories.length);
    if (options.size !== undefined && options.size < needed) throw new EspTooSmallError(options.size, needed);
    const size = options.size ?? needed;
    if (size % KiB !== 0)
      throw new InvalidOptionsError(`ESP size must be a multiple of 1024 bytes: ${size}`, { value: size });
    const serial = options.serial ?? (await contentSerial(files, staged));
    const env = { SOURCE_DATE_EPOCH: String(options.sourceDateEpoch), MTOOLSRC: '/dev/null', MTOOLS_SKIP_CHECK: '1' };
    const run = (cmd: string, args: string[]) =>
      runLogged(cmd, args, { logFile: options.logFile, env, timeoutMs: 120_000, signal: options.signal });
    await rm(options.output, { force: true });
    // `-i` must come after `--invariant`, which otherwise fixes the serial to 1234-ABCD.
    await run(mkfsVfat, [
      '-C',
      '--invariant',
      '-i',
      serial.toString(16).padStart(8, '0'),
      '-n',
      options.volumeLabel ?? 'EFIBOOT',
      options.output,
      String(size / KiB),
    ]);
    if (directories.length > 0) await run(mmd, ['-i', options.output, ...directories.map((d) => `::${d}`)]);
    for (const [index, file] of files.entries()) {
      await run(mcopy, ['-m', '-o', '-i', options.output, staged[index] as string, `::${file.path}`]);
    }
    return { size, serial };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

function canonicalFatPath(path: string): string {
  const normal = posix.normalize(`/${path}`);
  if (normal === '/' || normal.endsWith('/') || !path.startsWith('/')) {
    throw new InvalidOptionsError(`ESP file path must be an absolute file path: ${JSON.stringify(path)}`, {
      value: path,
    });
  }
  return normal;
}

/** Every directory the files need, parents first. */
function fatDirectories(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const path of paths) {
    for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) dirs.add(dir);
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0));
}

async function stageFile(file: EspFile, target: string, epoch: number): Promise<string> {
  if ((file.source === undefined) === (file.content === undefined)) {
    throw new InvalidOptionsError(`ESP file ${file.path} needs exactly one of source or content`, { value: file.path });
  }
  await mkdir(join(target, '..'), { recursive: true });
  if (file.source !== undefined) {
    const source = file.source;
    await copyFile(source, target).catch((cause: unknown) => {
      throw new InputMissingError(`ESP file ${file.path}`, source, { cause });
    });
  } else await writeFile(target, file.content as string | Uint8Array);
  await utimes(target, epoch, epoch);
  return target;
}

async function contentSerial(files: readonly EspFile[], staged: readonly string[]): Promise<number> {
  const hash = createHash('sha256');
  for (const [index, file] of files.entries()) {
    hash.update(`${file.path}\0`);
    hash.update(
      createHash('sha256')
        .update(await readFile(staged[index] as string))
        .digest(),
    );
  }
  return hash.digest().readUInt32BE(0);
}
