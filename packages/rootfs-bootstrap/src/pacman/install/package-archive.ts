import {
  compareBytewise,
  compressorMagicBytes,
  DecompressError,
  decompressFile,
  isDistroforgeError,
  sniffCompressor,
  type ManifestEntry,
} from '@distroforge/core';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import {
  closeSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  unlinkSync,
  chmodSync,
  type Stats,
} from 'node:fs';
import { BootstrapError, UnpackWriteError, UnsafePathError } from '../../errors.js';
import { RootResolver } from '../../resolve-in-root.js';
import { PacmanPackageFormatError, PacmanUnsafePathError } from '../errors.js';
import { TarStreamParser, type TarHeader, type TarMemberData } from '../tar-headers.js';
import { parsePkgInfo, type PacmanPkgInfo } from './pkginfo.js';
import { LeafWriters } from './file-writers.js';
import type { KnownTree } from './known-tree.js';
import { ZSTD_DECODER_THREADS, zstdDecoderFor } from './zstd-decoder.js';

/** What a `.pkg.tar.*` holds before its files: the metadata members. */
export interface PacmanPackageMetadata {
  file: string;
  info: PacmanPkgInfo;
  /** `.MTREE` as stored (gzip-compressed), copied to the local database as `mtree`. */
  mtree: Buffer | undefined;
  /** `.INSTALL` (the scriptlet functions), copied as `install`. */
  install: Buffer | undefined;
  /** `.CHANGELOG`, copied as `changelog`. */
  changelog: Buffer | undefined;
  /**
   * The whole archive decompressed, when the reader was asked to keep it (`keepArchiveBytes`) and
   * it fit: unpacking parses it instead of decompressing the package again (for small packages,
   * starting a decompressor costs more than the rest of their install).
   */
  archive?: Buffer;
}

/** What a `.pkg.tar.*` holds besides its files: the metadata members and the file list pacman records. */
export interface PacmanPackageContents extends PacmanPackageMetadata {
  /** alpm's file list: every member but the dot-files, relative, directories ending in `/`, sorted bytewise. */
  files: string[];
}

/** What unpacking one package wrote. */
export interface PacmanUnpackResult {
  /** Owners and special modes (setuid, setgid, sticky) of the archive, and its device nodes and fifos (never created on disk). */
  manifest: ManifestEntry[];
  /** MD5 (hex) of each `backup` file as unpacked, for the local database's `%BACKUP%`. */
  backup: Map<string, string>;
  /** In-root paths (`/usr/bin/x`) this package wrote, in archive order (directories that existed already excepted). */
  paths: string[];
  /** alpm's file list of the package (as `PacmanPackageContents.files`), from the members unpacked. */
  files: string[];
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
  /** Stops unpacking (the decompressor too) when it aborts. */
  signal?: AbortSignal;
  /** The package decompressed already (`PacmanPackageMetadata.archive`): parsed instead of the file. */
  archive?: Buffer;
}

export interface ReadPacmanPackageOptions {
  /** Stops reading (the decompressor too) when it aborts. */
  signal?: AbortSignal;
  /**
   * `readPacmanPackageMetadata` only: read the whole archive and keep it decompressed
   * (`PacmanPackageMetadata.archive`) when it is at most this many bytes; a larger one is read to
   * its end and not kept. 0 (the default): stop after the metadata.
   */
  keepArchiveBytes?: number;
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
  const { metadata, files } = await readPackage(file, false, options.signal, 0);
  return { ...metadata, files: sortedBytewise(files) };
}

/**
 * Reads a package's metadata members only (`.PKGINFO`, `.MTREE`, `.INSTALL`, `.CHANGELOG`), which
 * makepkg puts first: the decompression stops at the first file member once `.PKGINFO` was seen
 * (a package that puts it later is read on until it comes). The rest of the archive is checked
 * when it is unpacked (`unpackPacmanPackage`, which also returns the file list).
 */
export async function readPacmanPackageMetadata(
  file: string,
  options: ReadPacmanPackageOptions = {},
): Promise<PacmanPackageMetadata> {
  return (await readPackage(file, true, options.signal, options.keepArchiveBytes ?? 0)).metadata;
}

async function readPackage(
  file: string,
  metadataOnly: boolean,
  signal: AbortSignal | undefined,
  keepArchiveBytes: number,
): Promise<{ metadata: PacmanPackageMetadata; files: string[] }> {
  let pkginfo: string | undefined;
  let mtree: Buffer | undefined;
  let install: Buffer | undefined;
  let changelog: Buffer | undefined;
  let pastMetadata = false;
  const files = new Set<string>();
  const kept = await readPackageMembers(
    file,
    (member) => {
      const name = checkedName(file, member.path);
      if (name.startsWith('.')) {
        const chunks: Buffer[] = [];
        return {
          write: (chunk) => chunks.push(Buffer.from(chunk)), // the chunk's memory is reused after the call
          end: () => {
            const data = Buffer.concat(chunks);
            if (name === '.PKGINFO') pkginfo = data.toString('utf8');
            else if (name === '.MTREE') mtree = data;
            else if (name === '.INSTALL') install = data;
            else if (name === '.CHANGELOG') changelog = data;
          },
        };
      }
      pastMetadata = true;
      const listed = alpmListing(member, name);
      if (listed) files.add(listed);
      return undefined;
    },
    signal,
    {
      ...(metadataOnly && keepArchiveBytes === 0 ? { enough: () => pastMetadata && pkginfo !== undefined } : {}),
      ...(keepArchiveBytes > 0 ? { keep: keepArchiveBytes } : {}),
    },
  );
  if (pkginfo === undefined)
    throw new PacmanPackageFormatError(`${file} has no .PKGINFO: not a pacman package`, { path: file });
  const info = parsePkgInfo(pkginfo, file);
  return {
    metadata: { file, info, mtree, install, changelog, ...(kept.archive ? { archive: kept.archive } : {}) },
    files: [...files],
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
  const writers = new LeafWriters(UNPACK_THREADS);
  try {
    return await unpackPacmanPackageWith(file, root, options, writers);
  } finally {
    await writers.close();
  }
}

/**
 * `unpackPacmanPackage` with the caller's writer threads (a transaction shares one set across its
 * packages). Regular files and symlinks are made by `writers` while this thread goes on in archive
 * order; it finishes their pending writes (drain) before anything could see or go through one of
 * their paths, and before it returns, so every step sees the tree the one-by-one unpack would have.
 */
export async function unpackPacmanPackageWith(
  file: string,
  root: string,
  options: UnpackPacmanOptions & {
    /** What the transaction knows is in the root: paths it says are free are not looked at. */
    known?: KnownTree;
  },
  writers: LeafWriters,
): Promise<PacmanUnpackResult> {
  /** Which member each job of this package is, to name it when it failed. */
  const jobs = new Map<number, { name: string; host: string }>();
  const settle = () => {
    const failure = writers.drain();
    if (failure) {
      const job = jobs.get(failure.job);
      throw writeError(file, job?.name ?? '', job?.host, failure.error);
    }
  };
  const resolver = new RootResolver(root, () => {
    if (writers.busy) settle();
  });
  const settleFor = (host: string) => {
    if (writers.isPending(host)) settle();
  };
  const manifest: ManifestEntry[] = [];
  const paths: string[] = [];
  const files: string[] = [];
  const backup = new Map<string, string>();
  const wanted = new Set(options.backup ?? []);
  const dirModes: { host: string; mode: number; mtime: number | undefined }[] = [];

  const record = (path: string, type: 'file' | 'dir' | 'symlink', member: PackageMember, mode: number): void => {
    const { uid, gid } = member;
    paths.push(path);
    if (uid !== 0 || gid !== 0 || (type !== 'symlink' && (mode & 0o7000) !== 0))
      manifest.push(type === 'symlink' ? { path, uid, gid } : { path, uid, gid, mode });
  };
  /** Clears `host` for a non-directory: what is there goes, unless it is a directory (a conflict). */
  const known = options.known;
  const clear = (host: string, name: string): void => {
    // Nothing ever made there (and so no write pending there): nothing to clear.
    if (known?.isFree(host)) return;
    settleFor(host);
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
  const umask = currentUmask();
  const ownerOf = (member: PackageMember) =>
    options.chown && (member.uid !== 0 || member.gid !== 0) ? { owner: { uid: member.uid, gid: member.gid } } : {};

  try {
    await readPackageMembers(
      file,
      (member) => {
        const name = checkedName(file, member.path);
        if (name.startsWith('.')) return undefined;
        const listed = alpmListing(member, name);
        if (listed) files.push(listed);
        const inRoot = `/${name}`;
        let host: string | undefined;
        try {
          host = resolver.resolve(inRoot);
          const at = host;
          const mode = member.mode & 0o7777;
          const mtime = member.mtime;
          switch (member.type) {
            case 'file': {
              clear(at, name);
              // Made with its mode when the umask keeps it (no fchmod then); special bits and masked
              // ones are set by fchmod at the end.
              const direct = (mode & 0o7777 & ~umask) === mode && (mode & 0o7000) === 0;
              const { n, data } = writers.file(
                {
                  kind: 'file',
                  host: at,
                  mode: direct ? mode : 0o600,
                  ...(direct ? {} : { chmod: mode }),
                  ...ownerOf(member),
                  ...(mtime === undefined ? {} : { mtime }),
                },
                member.size,
              );
              jobs.set(n, { name, host: at });
              known?.made(at);
              const hash = wanted.has(name) ? createHash('md5') : undefined;
              return {
                write: (chunk) => {
                  hash?.update(chunk);
                  data.write(chunk);
                },
                end: () => {
                  data.end();
                  if (hash) backup.set(name, hash.digest('hex'));
                  record(inRoot, 'file', member, mode);
                },
              };
            }
            case 'directory': {
              let existing: Stats | undefined;
              if (!known?.isFree(at)) {
                settleFor(at);
                existing = lstatSync(at, { throwIfNoEntry: false });
              }
              if (existing?.isDirectory() && options.adoptDirectories?.delete(inRoot)) {
                dirModes.push({ host: at, mode, mtime });
                record(inRoot, 'dir', member, mode);
                return undefined;
              }
              if (existing?.isDirectory()) {
                resolver.remember(inRoot, at);
                return undefined;
              }
              if (
                existing?.isSymbolicLink() &&
                statSync(resolver.resolveDirectory(inRoot), { throwIfNoEntry: false })?.isDirectory()
              )
                return undefined;
              if (existing) clear(at, name);
              mkdirSync(at);
              known?.made(at);
              resolver.remember(inRoot, at);
              if (options.chown && (member.uid !== 0 || member.gid !== 0)) lchownSync(at, member.uid, member.gid);
              dirModes.push({ host: at, mode, mtime });
              record(inRoot, 'dir', member, mode);
              return undefined;
            }
            case 'symlink': {
              if (!member.linkpath)
                throw new PacmanPackageFormatError(`${file}: symlink ${name} without a target`, {
                  path: file,
                  value: name,
                });
              clear(at, name);
              const n = writers.symlink({
                kind: 'symlink',
                host: at,
                mode,
                linkpath: member.linkpath,
                ...ownerOf(member),
                ...(mtime === undefined ? {} : { mtime }),
              });
              jobs.set(n, { name, host: at });
              known?.made(at);
              resolver.invalidateUnder(at);
              record(inRoot, 'symlink', member, mode);
              return undefined;
            }
            case 'hardlink': {
              if (!member.linkpath)
                throw new PacmanPackageFormatError(`${file}: hard link ${name} without a target`, {
                  path: file,
                  value: name,
                });
              const target = resolver.resolve(`/${checkedName(file, member.linkpath)}`);
              settleFor(target);
              clear(at, name);
              linkSync(target, at);
              known?.made(at);
              record(inRoot, 'file', member, mode);
              return undefined;
            }
            case 'char':
            case 'block':
            case 'fifo': {
              const device = member.type === 'fifo' ? {} : { major: member.devmajor, minor: member.devminor };
              manifest.push({ path: inRoot, type: member.type, uid: member.uid, gid: member.gid, mode, ...device });
              return undefined;
            }
            default:
              return undefined;
          }
        } catch (error) {
          throw writeError(file, name, host, error);
        }
      },
      options.signal,
      options.archive ? { archive: options.archive } : {},
    );
    settle();
  } catch (error) {
    // A write that failed before this error happened is what the one-by-one unpack would have met first.
    settle();
    throw error;
  }
  // Directory modes last: a read-only directory must receive its files first.
  for (const { host, mode, mtime } of dirModes.reverse()) {
    try {
      chmodSync(host, mode);
      if (mtime !== undefined) lutimesSync(host, mtime, mtime);
    } catch (error) {
      throw writeError(file, host.slice(root.length), host, error);
    }
  }
  return { manifest, backup, paths, files: sortedBytewise(new Set(files)) };
}

/**
 * Threads making an unpack's files (up to two), from the cores left once this thread and the zstd
 * decoder threads have one each: none on two cores, where this thread writes the files itself.
 * There, handing the files to two writer threads cost more than it saved: the largest bench
 * request took 1.39-1.47 s in-process with them against 1.14-1.15 s without (tmpfs), 1.40-1.55 s
 * against 1.27-1.28 s on ext4. (Decoding the next package ahead on the second decoder thread
 * while one is written made it slower again on two cores: 1.18-1.41 s.)
 */
export const UNPACK_THREADS = Math.max(0, Math.min(2, availableParallelism() - 1 - ZSTD_DECODER_THREADS));

/** The member's name as alpm records it (no `./`, no trailing `/`), refused when absolute or with `..`. */
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

/** The decoder's pace for a read of a package's metadata alone. */
const METADATA_PACE = { chunkBytes: 128 * 1024, ahead: 1 };

/** One member of a package. */
type PackageMember = TarHeader;

/** Called for each member in archive order; returns where a regular file's data goes (undefined: skipped). May throw to stop. */
type MemberHandler = (member: PackageMember) => TarMemberData | undefined;

/**
 * Reads a package's members in order: decompressed as its first bytes say (zstd on this
 * process's decoder threads, `zstd-decoder.ts`, or the tool when they cannot load; xz, bzip2 by
 * their tools in a process of their own, which works beside this one; gzip by zlib), parsed as the
 * bytes arrive (`TarStreamParser`: headers checked, nothing buffered but a header). Malformed
 * input is a PacmanPackageFormatError naming `file`; errors of `onMember` pass as they are.
 */
async function readPackageMembers(
  file: string,
  onMember: MemberHandler,
  signal?: AbortSignal,
  how: {
    /** The caller has what it reads for: stop (the decoder too). */
    enough?: () => boolean;
    /** Keep the decompressed archive when it is at most this many bytes. */
    keep?: number;
    /** The decompressed archive, kept by an earlier read: parsed instead of the file. */
    archive?: Buffer;
  } = {},
): Promise<{ archive?: Buffer }> {
  const fail = (what: string, offset: number): never => {
    throw new PacmanPackageFormatError(`${file}: ${what} at byte ${offset}`, { path: file, value: offset });
  };
  if (how.archive) {
    const parser = new TarStreamParser(onMember, fail);
    parser.write(how.archive);
    parser.end();
    return {};
  }
  const head = Buffer.alloc(compressorMagicBytes);
  let read: number;
  try {
    const fd = openSync(file, 'r');
    try {
      read = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new PacmanPackageFormatError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { path: file, cause: error },
    );
  }
  const compression = sniffCompressor(head.subarray(0, read)) ?? 'none';
  const parser = new TarStreamParser(onMember, fail);
  let kept: Buffer[] | undefined = how.keep ? [] : undefined;
  let keptBytes = 0;
  try {
    const zstd = compression === 'zstd' ? await zstdDecoderFor() : undefined;
    // Read for its first members only (`enough`, nothing kept): small chunks, one ahead, so little
    // is decoded past the metadata before the decoder stops. Nothing kept: each chunk's memory goes
    // back to the decoder once parsed (the parser and the members' sinks copy what they keep).
    const pace = { ...(how.enough && !how.keep ? METADATA_PACE : {}), reuse: !how.keep };
    const chunks = zstd ? zstd.decodeFile(file, file, pace) : decompressFile(file, compression, { origin: file });
    for await (const chunk of chunks) {
      signal?.throwIfAborted();
      if (kept) {
        keptBytes += chunk.length;
        if (keptBytes > how.keep!) kept = undefined;
        else kept.push(chunk); // the decoder's chunks are fresh buffers: kept without a copy
      }
      parser.write(chunk);
      // What follows the end marker is not the package's; `enough`: the caller has what it reads for.
      // Either way the loop's end stops the decoder.
      if (parser.ended) return kept ? { archive: Buffer.concat(kept) } : {};
      if (how.enough?.()) return {};
    }
    parser.end();
    return kept ? { archive: Buffer.concat(kept) } : {};
  } catch (error) {
    if (error instanceof DecompressError)
      throw new PacmanPackageFormatError(`${file} does not decompress as ${compression}`, {
        path: file,
        value: compression,
        cause: error,
      });
    if (error instanceof BootstrapError || isDistroforgeError(error) || signal?.aborted) throw error;
    throw new PacmanPackageFormatError(`${file}: ${(error as Error).message}`, { path: file, cause: error });
  }
}

/** The process's file mode creation mask, read without changing it for longer than the call. */
function currentUmask(): number {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
}

/** How alpm's file list names a member: directories with a trailing `/`; extension and unknown entries not at all. */
function alpmListing(member: PackageMember, name: string): string | undefined {
  if (member.type === 'other') return undefined;
  return member.type === 'directory' ? `${name}/` : name;
}

/** `paths` in the order of their UTF-8 bytes (alpm's). */
function sortedBytewise(paths: Iterable<string>): string[] {
  return [...paths].sort(compareBytewise);
}
