import { createHash } from 'node:crypto';
import { compareBytewise, manifestLookup, writeAtomically, type Manifest, type ManifestEntry } from '@distroforge/core';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { once } from 'node:events';
import { join, posix } from 'node:path';
import { Header, Pax, type HeaderData } from 'tar';

export interface RootfsTarOptions {
  /** The root tree. */
  directory: string;
  /** Owners, modes and nodes the tree cannot carry without root; applied over what is on disk. */
  manifest: Manifest;
  output: string;
  /** mtimes are clamped to it; the archive holds no other time. */
  sourceDateEpoch: number;
  /** `root`: every entry 0:0 before the manifest applies (a tree built without root); `disk`: the owners found. */
  owner: 'root' | 'disk';
}

export interface RootfsTar {
  entries: number;
  bytes: number;
  sha256: string;
  /** Paths whose file capabilities the tar does not carry (ustar/PAX without xattrs). */
  capsNotApplied: string[];
}

type Kind = NonNullable<HeaderData['type']>;
const BLOCK = 512;

/**
 * A root tree as a deterministic tar (POSIX ustar, PAX records for long names): entries depth
 * first with names in byte order under `./`, numeric owners only, mtimes clamped to the epoch,
 * hard links as links, the manifest's owners/modes/device nodes applied. Written to a temp path
 * and renamed, so an interrupted build leaves no archive that looks complete.
 */
export async function writeRootfsTar(options: RootfsTarOptions): Promise<RootfsTar> {
  const lookup = manifestLookup(options.manifest);
  const onlyInManifest = manifestOnlyChildren(options.manifest);
  const result: RootfsTar = { entries: 0, bytes: 0, sha256: '', capsNotApplied: [] };
  const hash = createHash('sha256');
  const firstLink = new Map<string, string>();
  await writeAtomically(options.output, async (temp) => {
    const out = createWriteStream(temp);
    const write = async (chunk: Buffer) => {
      result.bytes += chunk.length;
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    };
    const emit = async (path: string, stats: Stats | undefined) => {
      const entry = lookup(path);
      const header = headerFor(path, stats, entry, options);
      if (entry?.caps) result.capsNotApplied.push(path);
      if (stats?.isFile() && stats.nlink > 1) {
        const id = `${stats.dev}:${stats.ino}`;
        const first = firstLink.get(id);
        if (first === undefined) firstLink.set(id, header.path!);
        else Object.assign(header, { type: 'Link' satisfies Kind, linkpath: first, size: 0 });
      }
      if (header.type === 'SymbolicLink' && stats) header.linkpath = await readlink(join(options.directory, path));
      await writeHeader(header, write);
      result.entries += 1;
      if (header.type === 'File' && stats) await copyContents(join(options.directory, path), stats.size, write);
    };
    const visit = async (path: string) => {
      const stats = await lstat(join(options.directory, path));
      if (stats.isSocket()) return; // tar has no socket type; a socket is recreated by whoever listens
      await emit(path, stats);
      if (!stats.isDirectory()) return;
      const names = new Set(await readdir(join(options.directory, path)));
      for (const name of onlyInManifest.get(path) ?? []) names.add(name);
      for (const name of [...names].sort(compareBytewise)) {
        const child = path === '/' ? `/${name}` : `${path}/${name}`;
        const onDisk = await lstat(join(options.directory, child)).then(
          () => true,
          () => false,
        );
        if (onDisk) await visit(child);
        else await emit(child, undefined);
      }
    };
    try {
      await visit('/');
      await write(Buffer.alloc(2 * BLOCK));
    } finally {
      out.end();
      await once(out, 'close');
    }
  });
  return { ...result, sha256: hash.digest('hex') };
}

/** Device nodes, fifos and symlinks the manifest describes below each directory (they may be absent on disk). */
function manifestOnlyChildren(manifest: Manifest): Map<string, string[]> {
  const children = new Map<string, string[]>();
  for (const entry of manifest.entries) {
    if (
      entry.path === '/' ||
      !(
        entry.type === 'char' ||
        entry.type === 'block' ||
        entry.type === 'fifo' ||
        (entry.type === 'symlink' && entry.target !== undefined)
      )
    )
      continue;
    const parent = posix.dirname(entry.path);
    children.set(parent, [...(children.get(parent) ?? []), posix.basename(entry.path)]);
  }
  return children;
}

function headerFor(
  path: string,
  stats: Stats | undefined,
  entry: ManifestEntry | undefined,
  options: RootfsTarOptions,
): HeaderData {
  const kind = kindOf(stats, entry);
  const name = path === '/' ? './' : `.${path}${kind === 'Directory' ? '/' : ''}`;
  const ownerFromDisk = options.owner === 'disk' && stats !== undefined;
  const mtime = Math.min(stats ? Math.floor(stats.mtimeMs / 1000) : options.sourceDateEpoch, options.sourceDateEpoch);
  return {
    path: name,
    type: kind,
    mode: entry?.mode ?? (stats ? stats.mode & 0o7777 : kind === 'Directory' ? 0o755 : 0o644),
    uid: entry?.uid ?? (ownerFromDisk ? stats.uid : 0),
    gid: entry?.gid ?? (ownerFromDisk ? stats.gid : 0),
    size: kind === 'File' && stats ? stats.size : 0,
    mtime: new Date(mtime * 1000),
    uname: '',
    gname: '',
    ...(entry?.target !== undefined && kind === 'SymbolicLink' ? { linkpath: entry.target } : {}),
    ...(kind === 'CharacterDevice' || kind === 'BlockDevice'
      ? { devmaj: entry?.major ?? major(stats!.rdev), devmin: entry?.minor ?? minor(stats!.rdev) }
      : {}),
  };
}

function kindOf(stats: Stats | undefined, entry: ManifestEntry | undefined): Kind {
  switch (entry?.type) {
    case 'char':
      return 'CharacterDevice';
    case 'block':
      return 'BlockDevice';
    case 'fifo':
      return 'FIFO';
    default:
      break;
  }
  if (!stats) return 'SymbolicLink';
  if (stats.isDirectory()) return 'Directory';
  if (stats.isSymbolicLink()) return 'SymbolicLink';
  if (stats.isCharacterDevice()) return 'CharacterDevice';
  if (stats.isBlockDevice()) return 'BlockDevice';
  if (stats.isFIFO()) return 'FIFO';
  return 'File';
}

// Linux's dev_t encoding (glibc's gnu_dev_major/minor).
const major = (rdev: number) => Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
const minor = (rdev: number) => Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);

async function writeHeader(data: HeaderData, write: (chunk: Buffer) => Promise<void>): Promise<void> {
  const block = Buffer.alloc(BLOCK);
  const header = new Header(data);
  header.encode(block);
  // Names or link targets ustar cannot hold go in a PAX record before the entry.
  if (header.needPax)
    await write(
      new Pax({
        path: data.path,
        ...(data.linkpath ? { linkpath: data.linkpath } : {}),
        mtime: data.mtime,
      } as HeaderData).encode(),
    );
  await write(block);
}

async function copyContents(file: string, size: number, write: (chunk: Buffer) => Promise<void>): Promise<void> {
  let copied = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buffer = chunk as Buffer;
    const part = buffer.subarray(0, Math.max(0, size - copied));
    copied += part.length;
    await write(part);
  }
  // A file that shrank while archived would corrupt the stream: pad to the size the header promised.
  if (copied < size) await write(Buffer.alloc(size - copied));
  const pad = (BLOCK - (size % BLOCK)) % BLOCK;
  if (pad) await write(Buffer.alloc(pad));
}
