import type { ManifestEntry } from '@distroforge/core';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, stat, symlink, unlink, utimes } from 'node:fs/promises';
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
 */
export async function unpackDeb(file: string, root: string, options: UnpackOptions): Promise<UnpackResult> {
  const resolver = new RootResolver(root);
  const paths: string[] = [];
  const manifest: ManifestEntry[] = [];
  const dirModes: [string, number, Date | undefined][] = [];
  await withDebTarball(file, 'data.tar', async (stream) => {
    let chain: Promise<void> = Promise.resolve();
    let failure: unknown;
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        chain = chain
          .then(() => {
            if (!failure) return writeEntry(entry);
            entry.resume();
            return undefined;
          })
          .catch((error: unknown) => {
            failure ??= error;
            entry.resume();
          });
      },
    });
    const writeEntry = async (entry: ReadEntry): Promise<void> => {
      const inRoot = RootResolver.memberPath(entry.path);
      if (inRoot === '/') {
        entry.resume();
        return;
      }
      const host = await resolver.resolve(inRoot);
      const mode = (entry.mode ?? 0o644) & 0o7777;
      const uid = entry.uid ?? 0;
      const gid = entry.gid ?? 0;
      let type: ManifestEntry['type'];
      switch (entry.type) {
        case 'Directory': {
          entry.resume();
          type = 'dir';
          const existing = await stat(host).catch(() => undefined);
          if (!existing?.isDirectory()) {
            await rm(host, { force: true });
            await mkdir(host, { recursive: true });
          }
          dirModes.push([host, mode, entry.mtime]);
          break;
        }
        case 'File':
        case 'OldFile':
        case 'ContiguousFile': {
          type = 'file';
          await removeExisting(host, resolver);
          await pipeline(entry, createWriteStream(host, { mode: 0o600 }));
          await chmod(host, mode);
          if (entry.mtime) await utimes(host, entry.mtime, entry.mtime);
          break;
        }
        case 'SymbolicLink': {
          entry.resume();
          type = 'symlink';
          if (!entry.linkpath) throw new DebFormatError(`${file}: symlink ${entry.path} without a target`, { path: file });
          await removeExisting(host, resolver);
          await symlink(entry.linkpath, host);
          if (entry.mtime) await lutimes(host, entry.mtime, entry.mtime);
          break;
        }
        case 'Link': {
          entry.resume();
          type = 'file';
          if (!entry.linkpath) throw new DebFormatError(`${file}: hard link ${entry.path} without a target`, { path: file });
          const target = await resolver.resolve(RootResolver.memberPath(entry.linkpath));
          await removeExisting(host, resolver);
          await link(target, host);
          break;
        }
        case 'CharacterDevice':
        case 'BlockDevice':
        case 'FIFO': {
          entry.resume();
          type = entry.type === 'FIFO' ? 'fifo' : entry.type === 'CharacterDevice' ? 'char' : 'block';
          const device = type === 'fifo' ? {} : { major: entry.header.devmaj ?? 0, minor: entry.header.devmin ?? 0 };
          manifest.push({ path: inRoot, type, uid, gid, mode, ...device });
          paths.push(inRoot);
          return;
        }
        default:
          entry.resume();
          return; // pax headers and the like carry no file
      }
      paths.push(inRoot);
      if (options.chown && (uid !== 0 || gid !== 0)) await lchown(host, uid, gid);
      if (uid !== 0 || gid !== 0 || (mode & 0o7000) !== 0) {
        manifest.push(type === 'symlink' ? { path: inRoot, uid, gid } : { path: inRoot, uid, gid, mode });
      }
    };
    await pipeline(stream, parser);
    await chain;
    if (failure) throw failure;
  });
  // Directory modes and times last: a read-only directory must still receive its files first.
  for (const [host, mode, mtime] of dirModes.reverse()) {
    await chmod(host, mode);
    if (mtime) await utimes(host, mtime, mtime);
  }
  return { paths, manifest };
}

async function removeExisting(host: string, resolver: RootResolver): Promise<void> {
  const existing = await lstat(host).catch(() => undefined);
  if (!existing) return;
  if (existing.isDirectory()) {
    await rm(host, { recursive: true, force: true });
    resolver.invalidate();
  } else {
    await unlink(host);
  }
}
