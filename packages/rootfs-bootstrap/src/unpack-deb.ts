import type { ManifestEntry } from '@distroforge/core';
import {
  chmodSync,
  closeSync,
  createReadStream,
  fchmodSync,
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
import { DebFormatError } from './errors.js';
import { RootResolver } from './resolve-in-root.js';

export interface UnpackOptions {
  /** Apply owners with lchown (only possible as root). */
  chown: boolean;
  /** Members (in-root paths) not to write at all, e.g. documentation in a throw-away first pass. */
  skip?: (path: string) => boolean;
}

/** What unpacking one `.deb` produced. */
export interface UnpackResult {
  /** Every path the package installed (in-root, `/usr/bin/x`), in archive order. */
  paths: string[];
  /** Owners, special modes and device nodes the directory on disk may not hold. */
  manifest: ManifestEntry[];
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
  const manifest: ManifestEntry[] = [];
  const dirModes: [string, number, Date | undefined][] = [];
  let failure: unknown;

  const record = (inRoot: string, type: ManifestEntry['type'], host: string, entry: ReadEntry, mode: number) => {
    const uid = entry.uid ?? 0;
    const gid = entry.gid ?? 0;
    paths.push(inRoot);
    if (options.chown && (uid !== 0 || gid !== 0)) lchownSync(host, uid, gid);
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
      if (inRoot === '/' || options.skip?.(inRoot)) {
        entry.resume();
        return;
      }
      const host = resolver.resolve(inRoot);
      const mode = (entry.mode ?? 0o644) & 0o7777;
      switch (entry.type) {
        case 'File':
        case 'OldFile':
        case 'ContiguousFile': {
          removeExisting(host, resolver);
          const fd = openSync(host, 'wx', 0o600);
          entry.on('data', (chunk: Buffer) => {
            if (failure) return;
            try {
              for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
            } catch (error) {
              failure ??= error;
            }
          });
          entry.on('end', () => {
            try {
              fchmodSync(fd, mode);
              if (entry.mtime) futimesSync(fd, entry.mtime, entry.mtime);
              closeSync(fd);
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
          const target = resolver.resolve(RootResolver.memberPath(entry.linkpath));
          removeExisting(host, resolver);
          linkSync(target, host);
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
  return { paths, manifest };
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
