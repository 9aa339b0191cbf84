import {
  compressorMagicBytes,
  decompress,
  DecompressError,
  isDistroforgeError,
  sniffCompressor,
  type ManifestEntry,
} from '@distroforge/core';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  chmodSync,
} from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadEntry } from 'tar';
import { debMemberType } from '../../apt/deb/member-type.js';
import { parseDebTar, type StopTarball } from '../../apt/deb/tarball.js';
import { BootstrapError, DebFormatError, UnpackWriteError, UnsafePathError } from '../../errors.js';
import { RootResolver } from '../../resolve-in-root.js';
import { PacmanPackageFormatError, PacmanUnsafePathError } from '../errors.js';
import { parsePkgInfo, type PacmanPkgInfo } from './pkginfo.js';

/** What a `.pkg.tar.*` holds besides its files: the metadata members and the file list pacman records. */
export interface PacmanPackageContents {
  file: string;
  info: PacmanPkgInfo;
  /** `.MTREE` as stored (gzip-compressed), copied to the local database as `mtree`. */
  mtree: Buffer | undefined;
  /** `.INSTALL` (the scriptlet functions), copied as `install`. */
  install: Buffer | undefined;
  /** `.CHANGELOG`, copied as `changelog`. */
  changelog: Buffer | undefined;
  /** alpm's file list: every member but the dot-files, relative, directories ending in `/`, sorted bytewise. */
  files: string[];
  /** A decompressed copy of `file` (a plain tar) that unpacking reads instead, when the caller made one. */
  decompressed?: string;
}

/** What unpacking one package wrote. */
export interface PacmanUnpackResult {
  /** Owners and special modes (setuid, setgid, sticky) of the archive, and its device nodes and fifos (never created on disk). */
  manifest: ManifestEntry[];
  /** MD5 (hex) of each `backup` file as unpacked, for the local database's `%BACKUP%`. */
  backup: Map<string, string>;
  /** In-root paths (`/usr/bin/x`) this package wrote, in archive order (directories that existed already excepted). */
  paths: string[];
}

export interface UnpackPacmanOptions {
  /** Give files the archive's owners with lchown (root only); otherwise they are the caller's and only the manifest holds them. */
  chown: boolean;
  /** `backup` paths (relative) whose MD5 to compute. */
  backup?: readonly string[];
  /**
   * Directories (in-root, `/tmp`) that exist but no package made yet (the image root's mount
   * points): the first package shipping one gives it its mode, as if it created it; removed from
   * the set then.
   */
  adoptDirectories?: Set<string>;
  /** A decompressed copy of `file` (a plain tar) to read instead (`PacmanPackageContents.decompressed`). */
  decompressed?: string;
}

export interface ReadPacmanPackageOptions {
  /** A decompressed copy of `file` (a plain tar) to read instead; errors still name `file`. */
  decompressed?: string;
}

/**
 * Reads a package without writing anything: `.PKGINFO` parsed, `.MTREE`, `.INSTALL` and
 * `.CHANGELOG` kept, the file list built, every member name checked (a hostile one is a
 * `PacmanUnsafePathError` before anything lands anywhere), the whole archive decompressed so a
 * damaged one is refused here (`PacmanPackageFormatError`), as pacman loads each package fully
 * before its transaction starts. Compression is sniffed (zstd, xz, gzip, bzip2 or none).
 */
export async function readPacmanPackage(
  file: string,
  options: ReadPacmanPackageOptions = {},
): Promise<PacmanPackageContents> {
  let pkginfo: string | undefined;
  let mtree: Buffer | undefined;
  let install: Buffer | undefined;
  let changelog: Buffer | undefined;
  const files = new Set<string>();
  await readPackageTar(
    file,
    (entry, stop) => {
      const name = memberName(file, entry);
      if (name.startsWith('.')) {
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => {
          const data = Buffer.concat(chunks);
          if (name === '.PKGINFO') pkginfo = data.toString('utf8');
          else if (name === '.MTREE') mtree = data;
          else if (name === '.INSTALL') install = data;
          else if (name === '.CHANGELOG') changelog = data;
        });
        entry.on('error', stop);
        return;
      }
      entry.resume();
      const type = debMemberType(entry.type);
      if (type === undefined) return;
      files.add(type === 'dir' ? `${name}/` : name);
    },
    options.decompressed,
  );
  if (pkginfo === undefined)
    throw new PacmanPackageFormatError(`${file} has no .PKGINFO: not a pacman package`, { path: file });
  const info = parsePkgInfo(pkginfo, file);
  return {
    file,
    info,
    mtree,
    install,
    changelog,
    files: [...files].sort(compareBytes),
    ...(options.decompressed ? { decompressed: options.decompressed } : {}),
  };
}

/**
 * Unpacks a package's files into `root` in-process, as pacman extracts them: the dot-files are
 * skipped; an existing directory (or a symlink to one, as merged /usr's `bin -> usr/bin`) is kept
 * as it is (the first package to create a directory sets its mode); anything else in the way is
 * replaced, except a directory by a non-directory (a corrupt or conflicting package). Paths resolve
 * inside the root through existing symlinks (core's resolveInRoot), so nothing lands outside it;
 * device nodes and fifos go to the manifest only.
 */
export async function unpackPacmanPackage(
  file: string,
  root: string,
  options: UnpackPacmanOptions,
): Promise<PacmanUnpackResult> {
  const resolver = new RootResolver(root);
  const manifest: ManifestEntry[] = [];
  const paths: string[] = [];
  const backup = new Map<string, string>();
  const wanted = new Set(options.backup ?? []);
  const dirModes: { host: string; mode: number; mtime: Date | undefined }[] = [];

  const owned = (entry: ReadEntry) => ({ uid: entry.uid ?? 0, gid: entry.gid ?? 0 });
  const record = (path: string, type: 'file' | 'dir' | 'symlink', entry: ReadEntry, mode: number): void => {
    const { uid, gid } = owned(entry);
    paths.push(path);
    if (uid !== 0 || gid !== 0 || (type !== 'symlink' && (mode & 0o7000) !== 0))
      manifest.push(type === 'symlink' ? { path, uid, gid } : { path, uid, gid, mode });
  };
  const removeExisting = (host: string, name: string): void => {
    const existing = lstatSync(host, { throwIfNoEntry: false });
    if (!existing) return;
    if (existing.isDirectory())
      throw new PacmanPackageFormatError(`${file}: ${name} would replace a directory with a non-directory`, {
        path: file,
        value: name,
        hint: 'two packages disagree on what this path is; install only one of them',
      });
    unlinkSync(host);
    if (existing.isSymbolicLink()) resolver.invalidate();
  };

  await readPackageTar(
    file,
    (entry, stop) => {
      const name = memberName(file, entry);
      if (name.startsWith('.')) {
        entry.resume();
        return;
      }
      const inRoot = `/${name}`;
      let host: string | undefined;
      try {
        host = resolver.resolve(inRoot);
        const mode = (entry.mode ?? 0o644) & 0o7777;
        switch (entry.type) {
          case 'File':
          case 'OldFile':
          case 'ContiguousFile': {
            removeExisting(host, name);
            const fd = openSync(host, 'wx', 0o600); // O_EXCL: never through a link at the last component
            const hash = wanted.has(name) ? createHash('md5') : undefined;
            let failed = false;
            const fail = (error: unknown) => {
              if (failed) return;
              failed = true;
              try {
                closeSync(fd);
              } catch {
                // already closed
              }
              stop(writeError(file, name, host, error));
            };
            entry.on('data', (chunk: Buffer) => {
              if (failed) return;
              hash?.update(chunk);
              try {
                for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
              } catch (error) {
                fail(error);
              }
            });
            entry.on('end', () => {
              if (failed) return;
              try {
                const { uid, gid } = owned(entry);
                if (options.chown && (uid !== 0 || gid !== 0)) fchownSync(fd, uid, gid);
                fchmodSync(fd, mode);
                if (entry.mtime) futimesSync(fd, entry.mtime, entry.mtime);
                closeSync(fd);
                if (hash) backup.set(name, hash.digest('hex'));
                record(inRoot, 'file', entry, mode);
              } catch (error) {
                fail(error);
              }
            });
            return;
          }
          case 'Directory': {
            entry.resume();
            const existing = lstatSync(host, { throwIfNoEntry: false });
            if (existing?.isDirectory() && options.adoptDirectories?.delete(inRoot)) {
              dirModes.push({ host, mode, mtime: entry.mtime });
              record(inRoot, 'dir', entry, mode);
              return;
            }
            if (existing?.isDirectory()) return;
            if (
              existing?.isSymbolicLink() &&
              statSync(resolver.resolveDirectory(inRoot), { throwIfNoEntry: false })?.isDirectory()
            )
              return;
            if (existing) removeExisting(host, name);
            mkdirSync(host);
            const { uid, gid } = owned(entry);
            if (options.chown && (uid !== 0 || gid !== 0)) lchownSync(host, uid, gid);
            dirModes.push({ host, mode, mtime: entry.mtime });
            record(inRoot, 'dir', entry, mode);
            return;
          }
          case 'SymbolicLink': {
            entry.resume();
            if (!entry.linkpath)
              throw new PacmanPackageFormatError(`${file}: symlink ${name} without a target`, {
                path: file,
                value: name,
              });
            removeExisting(host, name);
            symlinkSync(entry.linkpath, host);
            resolver.invalidate();
            const { uid, gid } = owned(entry);
            if (options.chown && (uid !== 0 || gid !== 0)) lchownSync(host, uid, gid);
            if (entry.mtime) lutimesSync(host, entry.mtime, entry.mtime);
            record(inRoot, 'symlink', entry, mode);
            return;
          }
          case 'Link': {
            entry.resume();
            if (!entry.linkpath)
              throw new PacmanPackageFormatError(`${file}: hard link ${name} without a target`, {
                path: file,
                value: name,
              });
            const target = resolver.resolve(`/${checkedName(file, entry.linkpath)}`);
            removeExisting(host, name);
            linkSync(target, host);
            record(inRoot, 'file', entry, mode);
            return;
          }
          case 'CharacterDevice':
          case 'BlockDevice':
          case 'FIFO': {
            entry.resume();
            const type = entry.type === 'FIFO' ? 'fifo' : entry.type === 'CharacterDevice' ? 'char' : 'block';
            const device = type === 'fifo' ? {} : { major: entry.header.devmaj ?? 0, minor: entry.header.devmin ?? 0 };
            manifest.push({ path: inRoot, type, ...owned(entry), mode, ...device });
            return;
          }
          default:
            entry.resume();
        }
      } catch (error) {
        throw writeError(file, name, host, error);
      }
    },
    options.decompressed,
  );
  // Directory modes last: a read-only directory must receive its files first.
  for (const { host, mode, mtime } of dirModes.reverse()) {
    try {
      chmodSync(host, mode);
      if (mtime) lutimesSync(host, mtime, mtime);
    } catch (error) {
      throw writeError(file, host.slice(root.length), host, error);
    }
  }
  return { manifest, backup, paths };
}

/** The member's name as alpm records it (no `./`, no trailing `/`), refused when absolute or with `..`. */
function memberName(file: string, entry: ReadEntry): string {
  return checkedName(file, entry.path);
}

function checkedName(file: string, raw: string): string {
  if (raw.startsWith('/') || raw.includes('\0')) throw new PacmanUnsafePathError(file, raw);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new PacmanUnsafePathError(file, raw);
  if (parts.length === 0)
    throw new PacmanPackageFormatError(`${file}: a member named ${JSON.stringify(raw)}`, { path: file, value: raw });
  return parts.join('/');
}

/** A failure while writing a member: ours pass; a path escaping the root is unsafe; a system call's is UnpackWriteError. */
function writeError(file: string, name: string, host: string | undefined, error: unknown): BootstrapError {
  if (error instanceof UnsafePathError) return new PacmanUnsafePathError(file, name, { cause: error });
  if (error instanceof BootstrapError) return error;
  if ((error as NodeJS.ErrnoException).syscall) return new UnpackWriteError(name, host, error as NodeJS.ErrnoException);
  return new PacmanPackageFormatError(`${file}: member ${name}: ${(error as Error).message}`, {
    path: file,
    value: name,
    cause: error,
  });
}

/** Streams a package's tar members, decompressed by what its first bytes say; malformed input is a PacmanPackageFormatError. */
async function readPackageTar(
  file: string,
  onEntry: (entry: ReadEntry, stop: StopTarball) => void,
  decompressed?: string,
): Promise<void> {
  const source = decompressed ?? file;
  const head = Buffer.alloc(compressorMagicBytes);
  let fd: number;
  try {
    fd = openSync(source, 'r');
  } catch (error) {
    throw new PacmanPackageFormatError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { path: file, cause: error },
    );
  }
  const read = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const compression = sniffCompressor(head.subarray(0, read)) ?? 'none';
  const stream = Readable.from(decompress(createReadStream(source), compression, { origin: file }), {
    objectMode: false,
  });
  try {
    await parseDebTar(file, 'package archive', stream, onEntry);
  } catch (error) {
    if (error instanceof DecompressError)
      throw new PacmanPackageFormatError(`${file} does not decompress as ${compression}`, {
        path: file,
        value: compression,
        cause: error,
      });
    if (error instanceof DebFormatError)
      throw new PacmanPackageFormatError(error.message.replace(/^/, ''), { path: file, cause: error });
    if (error instanceof BootstrapError || isDistroforgeError(error)) throw error;
    throw new PacmanPackageFormatError(`${file}: ${(error as Error).message}`, { path: file, cause: error });
  } finally {
    stream.on('error', () => undefined);
    stream.destroy();
  }
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
