import type { ManifestEntry } from '@distroforge/core';
import { createHash } from 'node:crypto';
import {
  chmodSync,
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
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { readArMembers, type ArMember } from './ar-archive.js';
import { compressionOf, withDecompressed } from './decompress.js';
import { debMemberType } from './deb-member-type.js';
import { DebFormatError } from './errors.js';
import { RootResolver } from './resolve-in-root.js';

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

/** Finds the `control.tar.*` or `data.tar.*` member of a `.deb`. */
export async function debMember(file: string, stem: 'control.tar' | 'data.tar'): Promise<ArMember> {
  const members = await readArMembers(file);
  if (members[0]?.name !== 'debian-binary') throw new DebFormatError(`${file} is not a Debian package (no debian-binary)`, { path: file });
  const member = members.find((m) => m.name === stem || m.name.startsWith(`${stem}.`));
  if (!member) throw new DebFormatError(`${file} has no ${stem} member`, { path: file });
  return member;
}

/** Streams one tarball member of a `.deb`, decompressed, through `consume`. */
export async function withDebTarball<T>(file: string, stem: 'control.tar' | 'data.tar', consume: (tar: Readable) => Promise<T>): Promise<T> {
  const member = await debMember(file, stem);
  if (member.size === 0) throw new DebFormatError(`${file}: ${member.name} is empty`, { path: file });
  const raw = createReadStream(file, { start: member.offset, end: member.offset + member.size - 1 });
  return withDecompressed(compressionOf(member.name), raw, consume, file);
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
  const dirModes: [string, number, Date | undefined][] = [];
  let failure: unknown;

  const record = (inRoot: string, type: ManifestEntry['type'], host: string, entry: ReadEntry, mode: number) => {
    const uid = entry.uid ?? 0;
    const gid = entry.gid ?? 0;
    paths.push(inRoot);
    if (options.chown && type !== 'file' && (uid !== 0 || gid !== 0)) lchownSync(host, uid, gid);
    if (uid !== 0 || gid !== 0 || (mode & 0o7000) !== 0) {
      manifest.push(type === 'symlink' ? { path: inRoot, uid, gid } : { path: inRoot, uid, gid, mode });
    }
  };

  const onEntry = (entry: ReadEntry): void => {
    if (failure) {
      entry.resume();
      return;
    }
    try {
      const inRoot = RootResolver.memberPath(entry.path);
      if (isListed(entry.type)) listed.push({ path: inRoot === '/' ? '/.' : inRoot, directory: entry.type === 'Directory' });
      if (inRoot === '/' || options.skip?.(inRoot)) {
        entry.resume();
        return;
      }
      const host = resolver.resolve(options.redirect?.(inRoot) ?? inRoot);
      const mode = (entry.mode ?? 0o644) & 0o7777;
      switch (entry.type) {
        case 'File':
        case 'OldFile':
        case 'ContiguousFile': {
          removeExisting(host, resolver);
          const fd = openSync(host, 'wx', 0o600);
          const hash = options.md5 ? createHash('md5') : undefined;
          if (hash) md5sums.push({ path: inRoot, md5: '' });
          const slot = md5sums.length - 1;
          entry.on('data', (chunk: Buffer) => {
            if (failure) return;
            hash?.update(chunk);
            try {
              for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
            } catch (error) {
              failure ??= error;
            }
          });
          entry.on('end', () => {
            try {
              // Owner first: chown clears setuid/setgid bits set before it.
              if (options.chown && ((entry.uid ?? 0) !== 0 || (entry.gid ?? 0) !== 0)) fchownSync(fd, entry.uid ?? 0, entry.gid ?? 0);
              fchmodSync(fd, mode);
              if (entry.mtime) futimesSync(fd, entry.mtime, entry.mtime);
              closeSync(fd);
              if (hash) {
                md5sums[slot]!.md5 = hash.digest('hex');
                md5ByPath.set(inRoot, md5sums[slot]!.md5);
              }
              record(inRoot, 'file', host, entry, mode);
            } catch (error) {
              failure ??= error;
            }
          });
          return;
        }
        case 'Directory': {
          entry.resume();
          const existing = statSync(host, { throwIfNoEntry: false });
          if (existing?.isDirectory() && options.keepExistingDirectories) {
            paths.push(inRoot);
            return;
          }
          if (!existing?.isDirectory()) {
            rmSync(host, { force: true });
            mkdirSync(host, { recursive: true });
          }
          dirModes.push([host, mode, entry.mtime]);
          record(inRoot, 'dir', host, entry, mode);
          return;
        }
        case 'SymbolicLink': {
          entry.resume();
          if (!entry.linkpath) throw new DebFormatError(`${file}: symlink ${entry.path} without a target`, { path: file });
          removeExisting(host, resolver);
          symlinkSync(entry.linkpath, host);
          if (entry.mtime) lutimesSync(host, entry.mtime, entry.mtime);
          record(inRoot, 'symlink', host, entry, mode);
          return;
        }
        case 'Link': {
          entry.resume();
          if (!entry.linkpath) throw new DebFormatError(`${file}: hard link ${entry.path} without a target`, { path: file });
          const linked = RootResolver.memberPath(entry.linkpath);
          const target = resolver.resolve(options.redirect?.(linked) ?? linked);
          removeExisting(host, resolver);
          linkSync(target, host);
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
    } catch (error) {
      failure ??= error;
      entry.resume();
    }
  };

  await withDebTarball(file, 'data.tar', (stream) => pipeline(stream, new Parser({ strict: true, onReadEntry: onEntry })));
  if (failure) throw failure;
  // Directory modes and times last: a read-only directory must still receive its files first.
  for (const [host, mode, mtime] of dirModes.reverse()) {
    chmodSync(host, mode);
    if (mtime) utimesSync(host, mtime, mtime);
  }
  return { paths, manifest, listed, md5sums };
}

/** Tar entry types that are package members (pax and GNU extension headers are not). */
function isListed(type: ReadEntry['type']): boolean {
  return debMemberType(type) !== undefined;
}

function removeExisting(host: string, resolver: RootResolver): void {
  const existing = lstatSync(host, { throwIfNoEntry: false });
  if (!existing) return;
  if (existing.isDirectory()) {
    rmSync(host, { recursive: true, force: true });
    resolver.invalidate();
  } else {
    unlinkSync(host);
  }
}
