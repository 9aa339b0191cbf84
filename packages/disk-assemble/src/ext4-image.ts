import { emptyManifest, type Manifest } from '@distroforge/core';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { ownershipScript, type OwnershipScript } from './debugfs-script.js';
import { Ext4LayoutError, InvalidDiskOptionsError } from './errors.js';
import { normaliseTreeInodes } from './ext4-inodes.js';
import { mke2fsConfig } from './mke2fs-config.js';
import { runLogged, withoutFsync } from '@distroforge/core';
import { ToolFailedError } from '@distroforge/core';
import { execa } from 'execa';
import { appendFile } from 'node:fs/promises';
import { findDebugfs, findMkfsExt4 } from './tools.js';
import { readTree, type TreeEntry } from './walk-tree.js';

const MiB = 1024 * 1024;

export interface BuildExt4ImageOptions {
  /** The root tree, copied with `mkfs.ext4 -d`. */
  directory: string;
  manifest?: Manifest;
  /** See OwnershipScriptOptions.owner; default `root`. */
  owner?: 'root' | 'disk';
  output: string;
  /**
   * Write the filesystem into the existing file `output` at this byte offset (a partition of a
   * disk image) instead of creating `output`. The range must read as zeros (e.g. a fresh sparse
   * file): mke2fs then skips zeroing the journal and inode tables.
   */
  offset?: number;
  /** Bytes (a multiple of 4096); default `ext4SizeFor(tree) + freeSpace`. */
  size?: number;
  /** Bytes added to the computed size (default 64 MiB). */
  freeSpace?: number;
  /** Filesystem UUID (also seeds the directory hash). */
  uuid: string;
  hashSeed: string;
  label?: string;
  sourceDateEpoch: number;
  logFile: string;
  signal?: AbortSignal | undefined;
  /** Files written into the image after the tree (replacing a file of that path), owned by root. */
  files?: readonly Ext4ExtraFile[];
}

/** A generated file for the image (e.g. /etc/fstab); its directory must exist in the tree. */
export interface Ext4ExtraFile {
  path: string;
  content: string | Buffer;
  /** Permission bits (default 0o644). */
  mode?: number;
}

export interface Ext4Image {
  path: string;
  /** Bytes of the filesystem (at `offset` in `path`). */
  size: number;
  offset?: number;
  uuid: string;
  notApplied: OwnershipScript['notApplied'];
}

/** A conservative ext4 size for a tree: data in 4 KiB blocks, an inode each, journal, metadata, 10% slack. */
export function ext4SizeFor(tree: readonly TreeEntry[]): number {
  const blocks = tree.reduce(
    (sum, e) => sum + (e.type === 'file' ? Math.ceil(e.size / 4096) : e.type === 'dir' ? 1 : 0),
    0,
  );
  const data = blocks * 4096;
  const inodeTables = Math.max(tree.length * 2, 8192) * 256;
  const journal = 16 * MiB;
  return Math.ceil((data * 1.1 + inodeTables + journal + 8 * MiB) / MiB) * MiB;
}

/**
 * An ext4 image of a directory, built without root: mkfs.ext4 -d with fixed configuration, UUID,
 * hash seed and clock (E2FSPROGS_FAKE_TIME); then every tree inode gets its owner and times in
 * one pass over the inode tables (normaliseTreeInodes), and debugfs applies the manifest's
 * overrides and nodes and the extra files. File capabilities are reported in `notApplied`.
 * `prepared.tree` is the walkTree listing of `directory` when the caller has it already.
 */
export async function buildExt4Image(
  options: BuildExt4ImageOptions,
  prepared: { tree?: readonly TreeEntry[] } = {},
): Promise<Ext4Image> {
  const tree = prepared.tree ?? (await readTree('root directory', options.directory));
  const size = options.size ?? ext4SizeFor(tree) + (options.freeSpace ?? 64 * MiB);
  if (size % 4096 !== 0)
    throw new InvalidDiskOptionsError(`ext4 size must be a multiple of 4096: ${size}`, { value: size });
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % 512 !== 0)
    throw new InvalidDiskOptionsError(`ext4 offset must be a non-negative multiple of 512: ${offset}`, {
      value: offset,
    });
  // e2fsprogs reads everything after a '?' in a device name as I/O options.
  if (options.output.includes('?'))
    throw new InvalidDiskOptionsError(`the ext4 output path cannot contain '?': ${options.output}`, {
      value: options.output,
      path: options.output,
    });
  const script = ownershipScript(tree, options.manifest ?? emptyManifest(), {
    sourceDateEpoch: options.sourceDateEpoch,
  });
  const [mkfs, debugfs] = await Promise.all([findMkfsExt4(), findDebugfs()]);
  const work = await mkdtemp(join(tmpdir(), 'distroforge-ext4-'));
  try {
    const config = join(work, 'mke2fs.conf');
    const commandFile = join(work, 'debugfs.cmd');
    await writeFile(config, mke2fsConfig);
    const commands = [
      ...script.commands,
      ...(await extraFileCommands(options.files ?? [], tree, work, options.sourceDateEpoch)),
    ];
    const env = {
      MKE2FS_CONFIG: config,
      E2FSPROGS_FAKE_TIME: String(options.sourceDateEpoch),
      SOURCE_DATE_EPOCH: String(options.sourceDateEpoch),
    };
    const run = (cmd: string, args: string[]) =>
      runLogged(cmd, args, { logFile: options.logFile, env, timeoutMs: 30 * 60_000, signal: options.signal });
    if (options.offset === undefined) await rm(options.output, { force: true });
    // The target reads as zeros (a file mke2fs creates, or the caller's promise for `offset`), so
    // assume_storage_prezeroed skips writing zeros over the journal and the inode tables: the
    // same bytes as lazy_itable_init=0,lazy_journal_init=0, but those blocks stay sparse.
    await run(
      ...(await withoutFsync(mkfs.path, [
        '-q',
        '-F',
        '-t',
        'ext4',
        '-d',
        options.directory,
        '-L',
        options.label ?? 'root',
        '-U',
        options.uuid,
        '-E',
        `root_owner=0:0,hash_seed=${options.hashSeed},assume_storage_prezeroed=1,nodiscard${options.offset === undefined ? '' : `,offset=${offset}`}`,
        options.output,
        `${size / 1024}k`,
      ])),
    );
    const normalised = await normaliseTreeInodes(options.output, {
      offset,
      resetOwners: (options.owner ?? 'root') === 'root',
      sourceDateEpoch: options.sourceDateEpoch,
      treeHasLostFound: tree.some((e) => e.path === '/lost+found' && e.type === 'dir'),
    });
    const expected = treeInodeCount(tree);
    if (normalised !== expected)
      throw new Ext4LayoutError(`mkfs.ext4 -d made ${normalised} inodes for a tree of ${expected}`, options.output);
    if (commands.length > 0) {
      await writeFile(commandFile, `${commands.join('\n')}\n`);
      await runDebugfs(
        debugfs.path,
        commandFile,
        options.offset === undefined ? options.output : `${options.output}?offset=${offset}`,
        { ...env, logFile: options.logFile, signal: options.signal },
      );
    }
    return {
      path: options.output,
      size,
      ...(options.offset === undefined ? {} : { offset }),
      uuid: options.uuid,
      notApplied: script.notApplied,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Inodes mkfs.ext4 -d makes for a tree: one per entry, but one per hard-linked file (as mke2fs links them). */
function treeInodeCount(tree: readonly TreeEntry[]): number {
  const linked = new Set<string>();
  let count = 0;
  for (const entry of tree) {
    if (entry.type !== 'dir' && entry.type !== 'symlink' && entry.nlink > 1) {
      if (linked.has(entry.inode)) continue;
      linked.add(entry.inode);
    }
    count++;
  }
  return count;
}

/** debugfs commands that write each extra file (after removing the tree's file of that path). */
export async function extraFileCommands(
  files: readonly Ext4ExtraFile[],
  tree: readonly TreeEntry[],
  work: string,
  epoch: number,
): Promise<string[]> {
  const onDisk = new Map(tree.map((e) => [e.path, e.type]));
  const commands: string[] = [];
  for (const [index, file] of files.entries()) {
    const dir = posix.dirname(file.path);
    if (!file.path.startsWith('/') || /["\s]/.test(file.path))
      throw new InvalidDiskOptionsError(
        `extra file path must be absolute, without blanks or quotes: ${JSON.stringify(file.path)}`,
        { value: file.path },
      );
    if (dir !== '/' && onDisk.get(dir) !== 'dir')
      throw new InvalidDiskOptionsError(`extra file ${file.path}: ${dir} is not a directory of the root tree`, {
        value: file.path,
      });
    const existing = onDisk.get(file.path);
    if (existing === 'dir')
      throw new InvalidDiskOptionsError(`extra file ${file.path} would replace a directory`, { value: file.path });
    const host = join(work, `extra-${index}`);
    await writeFile(host, file.content);
    commands.push(`cd "${dir}"`);
    if (existing !== undefined) commands.push(`rm "${posix.basename(file.path)}"`);
    commands.push(`write "${host}" "${posix.basename(file.path)}"`, 'cd /');
    const q = `"${file.path}"`;
    commands.push(`sif ${q} uid 0`, `sif ${q} gid 0`, `sif ${q} mode ${0o100000 | (file.mode ?? 0o644)}`);
    for (const field of ['mtime', 'atime', 'ctime', 'crtime']) commands.push(`sif ${q} ${field} @${epoch}`);
  }
  return commands;
}

/** debugfs exits 0 even when a command fails; every stderr line but its banner is a failure. */
export async function runDebugfs(
  debugfs: string,
  commandFile: string,
  image: string,
  options: { logFile: string; signal: AbortSignal | undefined; E2FSPROGS_FAKE_TIME: string },
): Promise<void> {
  const { logFile, signal } = options;
  const [command, args] = await withoutFsync(debugfs, ['-w', '-f', commandFile, image]);
  const result = await execa(command, args, {
    stdin: 'ignore',
    reject: false,
    timeout: 30 * 60_000,
    maxBuffer: 256 << 20,
    env: { ...process.env, LC_ALL: 'C', TZ: 'UTC', E2FSPROGS_FAKE_TIME: options.E2FSPROGS_FAKE_TIME },
    extendEnv: false,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  const problems = result.stderr.split('\n').filter((line) => line.trim() !== '' && !/^debugfs \d/.test(line));
  await appendFile(logFile, `$ ${[command, ...args].join(' ')}\n${result.stderr}\n`);
  if (result.exitCode !== 0 || result.failed || problems.length > 0) {
    throw new ToolFailedError([command, ...args], result.exitCode, problems.slice(0, 15).join('\n'), { path: logFile });
  }
}
