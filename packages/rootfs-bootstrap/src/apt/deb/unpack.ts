import type { ManifestEntry } from '@distroforge/core';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { ReadEntry } from 'tar';
import { debMemberType } from './member-type.js';
import { readDebTarball, type StopTarball } from './tarball.js';
import { BootstrapError, DebFormatError, UnpackWriteError } from '../../errors.js';
import { RootResolver } from '../../resolve-in-root.js';

export interface UnpackOptions {
  /** Apply owners with lchown (only possible as root). */
  chown: boolean;
  /** Members (in-root paths) not to write at all, e.g. documentation in a throw-away first pass. */
  skip?: (path: string) => boolean;
  /**
   * Where a member lands instead of its own path (in-root), as dpkg places diverted files and new
   * conffiles (`<path>.dpkg-new`); `undefined` keeps the path. Recorded paths stay the members'.
   */
  redirect?: (path: string) => string | undefined;
  /** Leave directories that already exist as they are (dpkg's rule), instead of applying the member's mode and owner. */
  keepExistingDirectories?: boolean;
  /** Compute the MD5 of every regular file (dpkg records them when a package ships no md5sums). */
  md5?: boolean;
  /** The data member decompressed already, as a plain tarball (`decodeDataAhead`). */
  decodedData?: string;
}

/** What unpacking one `.deb` produced. */
export interface UnpackResult {
  /** Every path the package installed (in-root, `/usr/bin/x`), in archive order. */
  paths: string[];
  /** Owners, special modes and device nodes the directory on disk may not hold. */
  manifest: ManifestEntry[];
  /** Every member in archive order as dpkg's `<package>.list` names it (`/.` for the root). */
  listed: { path: string; directory: boolean }[];
  /** With `md5`: regular files and hard links in archive order with their MD5 (hex). */
  md5sums: { path: string; md5: string }[];
}

/**
 * Unpacks a `.deb`'s data tarball into `root` in-process: regular files, directories, symlinks and
 * hard links are written (confined to the root, through existing directory symlinks as dpkg does);
 * device nodes and fifos go to the manifest only; owners are applied when `chown` is set and always
 * recorded when not root:root; setuid/setgid/sticky bits are recorded as well.
 *
 * File system calls are synchronous on purpose: thousands of tiny files make the thread-pool round
 * trips of async calls dominate, and decompression runs in a child process meanwhile anyway.
 */
export async function unpackDeb(file: string, root: string, options: UnpackOptions): Promise<UnpackResult> {
  const resolver = new RootResolver(root);
  const paths: string[] = [];
  const listed: UnpackResult['listed'] = [];
  const md5sums: UnpackResult['md5sums'] = [];
  const md5ByPath = new Map<string, string>();
  const manifest: ManifestEntry[] = [];
  /** Directories whose mode and times are applied last (host path -> member's). */
  const dirModes = new Map<string, { mode: number; mtime: Date | undefined }>();

  const record = (inRoot: string, type: ManifestEntry['type'], host: string, entry: ReadEntry, mode: number) => {
    const uid = entry.uid ?? 0;
    const gid = entry.gid ?? 0;
    paths.push(inRoot);
    if (options.chown && type !== 'file' && (uid !== 0 || gid !== 0)) lchownSync(host, uid, gid);
    if (uid !== 0 || gid !== 0 || (mode & 0o7000) !== 0) {
      manifest.push(type === 'symlink' ? { path: inRoot, uid, gid } : { path: inRoot, uid, gid, mode });
    }
  };

  /**
   * Removes what is at `host` (never following it). Host paths the resolver handed out may have
   * passed through a removed directory or symlink, and a removed directory's pending mode must not
   * be applied to whatever takes its place (a symlink to the host's /etc, say).
   */
  const removeExisting = (host: string): void => {
    const existing = lstatSync(host, { throwIfNoEntry: false });
    if (!existing) return;
    if (existing.isDirectory()) {
      rmSync(host, { recursive: true, force: true });
      for (const dir of dirModes.keys()) if (dir === host || dir.startsWith(`${host}/`)) dirModes.delete(dir);
    } else {
      unlinkSync(host);
    }
    if (existing.isDirectory() || existing.isSymbolicLink()) resolver.invalidate();
  };

  const onEntry = (entry: ReadEntry, stop: StopTarball): void => {
    const inRoot = RootResolver.memberPath(entry.path);
    if (isListed(entry.type))
      listed.push({ path: inRoot === '/' ? '/.' : inRoot, directory: entry.type === 'Directory' });
    if (inRoot === '/' || options.skip?.(inRoot)) {
      entry.resume();
      return;
    }
    const placed = options.redirect?.(inRoot) ?? inRoot;
    let host: string | undefined;
    try {
      host = resolver.resolve(placed);
      writeMember(entry, inRoot, placed, host, stop);
    } catch (error) {
      throw memberError(file, inRoot, host, error);
    }
  };

  const writeMember = (entry: ReadEntry, inRoot: string, placed: string, host: string, stop: StopTarball): void => {
    const mode = (entry.mode ?? 0o644) & 0o7777;
    switch (entry.type) {
      case 'File':
      case 'OldFile':
      case 'ContiguousFile': {
        removeExisting(host);
        // O_EXCL: never through a symlink at the last component.
        const fd = openSync(host, 'wx', 0o600);
        const hash = options.md5 ? createHash('md5') : undefined;
        if (hash) md5sums.push({ path: inRoot, md5: '' });
        const slot = md5sums.length - 1;
        let failed = false;
        const fail = (error: unknown) => {
          failed = true;
          try {
            closeSync(fd);
          } catch {
            // already closed
          }
          stop(memberError(file, inRoot, host, error));
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
            // Owner first: chown clears setuid/setgid bits set before it.
            if (options.chown && ((entry.uid ?? 0) !== 0 || (entry.gid ?? 0) !== 0))
              fchownSync(fd, entry.uid ?? 0, entry.gid ?? 0);
            fchmodSync(fd, mode);
            if (entry.mtime) futimesSync(fd, entry.mtime, entry.mtime);
            closeSync(fd);
            if (hash) {
              md5sums[slot]!.md5 = hash.digest('hex');
              md5ByPath.set(inRoot, md5sums[slot]!.md5);
            }
            record(inRoot, 'file', host, entry, mode);
          } catch (error) {
            fail(error);
          }
        });
        return;
      }
      case 'Directory': {
        entry.resume();
        const existing = lstatSync(host, { throwIfNoEntry: false });
        // dpkg keeps a symlink to a directory (merged /usr's bin -> usr/bin) and leaves its target be.
        if (
          existing?.isSymbolicLink() &&
          lstatSync(resolver.resolveDirectory(placed), { throwIfNoEntry: false })?.isDirectory()
        ) {
          paths.push(inRoot);
          return;
        }
        if (existing?.isDirectory() && options.keepExistingDirectories) {
          paths.push(inRoot);
          return;
        }
        if (!existing?.isDirectory()) {
          removeExisting(host);
          mkdirSync(host, { recursive: true });
        }
        dirModes.set(host, { mode, mtime: entry.mtime });
        record(inRoot, 'dir', host, entry, mode);
        return;
      }
      case 'SymbolicLink': {
        entry.resume();
        if (!entry.linkpath)
          throw new DebFormatError(`${file}: symlink ${entry.path} without a target`, { path: file });
        removeExisting(host);
        symlinkSync(entry.linkpath, host);
        resolver.invalidate(); // a path resolved while this name did not exist now leads through the link
        if (entry.mtime) lutimesSync(host, entry.mtime, entry.mtime);
        record(inRoot, 'symlink', host, entry, mode);
        return;
      }
      case 'Link': {
        entry.resume();
        if (!entry.linkpath)
          throw new DebFormatError(`${file}: hard link ${entry.path} without a target`, { path: file });
        const linked = RootResolver.memberPath(entry.linkpath);
        const target = resolver.resolve(options.redirect?.(linked) ?? linked);
        removeExisting(host);
        // link(2) does not follow a symlink target: linking one makes another symlink (as dpkg's).
        linkSync(target, host);
        resolver.invalidate();
        if (options.md5) md5sums.push({ path: inRoot, md5: md5ByPath.get(linked) ?? '' });
        record(inRoot, 'file', host, entry, mode);
        return;
      }
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO': {
        entry.resume();
        const type = entry.type === 'FIFO' ? 'fifo' : entry.type === 'CharacterDevice' ? 'char' : 'block';
        const device = type === 'fifo' ? {} : { major: entry.header.devmaj ?? 0, minor: entry.header.devmin ?? 0 };
        manifest.push({ path: inRoot, type, uid: entry.uid ?? 0, gid: entry.gid ?? 0, mode, ...device });
        paths.push(inRoot);
        return;
      }
      default:
        entry.resume(); // pax headers and the like carry no file
    }
  };

  await readDebTarball(file, 'data.tar', onEntry, options.decodedData);
  // Directory modes and times last: a read-only directory must still receive its files first.
  for (const [host, { mode, mtime }] of [...dirModes].reverse()) {
    try {
      // Entries of removed directories were dropped; never apply one through what replaced it.
      if (!lstatSync(host).isDirectory()) continue;
      chmodSync(host, mode);
      if (mtime) lutimesSync(host, mtime, mtime);
    } catch (error) {
      throw memberError(file, host.slice(root.length) || '/', host, error);
    }
  }
  return { paths, manifest, listed, md5sums };
}

/** Tar entry types that are package members (pax and GNU extension headers are not). */
function isListed(type: ReadEntry['type']): boolean {
  return debMemberType(type) !== undefined;
}

/** A failure while writing `member`: ours pass; a system call's is `UnpackWriteError`; anything else means the member is malformed. */
function memberError(file: string, member: string, host: string | undefined, error: unknown): BootstrapError {
  if (error instanceof BootstrapError) return error;
  if ((error as NodeJS.ErrnoException).syscall)
    return new UnpackWriteError(member, host, error as NodeJS.ErrnoException);
  return new DebFormatError(`${file}: member ${member}: ${(error as Error).message}`, {
    path: file,
    value: member,
    cause: error,
  });
}
