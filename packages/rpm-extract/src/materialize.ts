import { linkSync, lstatSync, lutimesSync, symlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { makeDirectory, makeParents, setDirectoryAttributes } from './directories.js';
import { rpmError } from './errors.js';
import { hardlinkSets } from './hardlink-sets.js';
import type { RpmManifestEntry } from './rpm-manifest.js';
import { missingMembers } from './missing-members.js';
import { placeholderPaths } from './placeholders.js';
import type { RpmFile, RpmPackage } from './types.js';
import { newHash, type PayloadMember } from './walk-payload.js';
import { currentUmask } from './current-umask.js';
import { adaptiveWriter, directWriter, threadedWriter, type SmallFileWriter } from './small-file-writer.js';
import { io } from './write-error.js';
import { writeRegular } from './write-regular-file.js';

export interface MaterializeOptions {
  verify: boolean;
  preserveMtime: boolean;
  /** Worker threads creating small files: 0 none, undefined decided by measuring (see adaptiveWriter). */
  writerThreads: number | undefined;
}

export interface MaterializeResult {
  manifest: RpmManifestEntry[];
  filesWritten: number;
  bytesWritten: number;
  /** Paths in the package that were not created on disk, and why. */
  skipped: Array<{ path: string; reason: 'ghost' | 'device' | 'fifo' | 'socket' }>;
}

// Below this many regular files, starting threads costs more than creating the files in line.
const threadedWriterFiles = 200;
const defaultWriterThreads = 2;

/**
 * Writes the payload members into `root` (a fresh directory), following the header for metadata:
 * modes, mtimes, hard links, symlinks. Device nodes, fifos and sockets are recorded, not created.
 * File digests are checked as the contents stream through when `verify` is set. `rels` is the
 * header's proven tree (fileTree): each path is created once, never below a symlink or file, and
 * no write, chmod or utimes follows a symlink at the path itself.
 */
export async function materialize(
  root: string,
  pkg: RpmPackage,
  rels: ReadonlyArray<string | undefined>,
  members: AsyncIterable<PayloadMember>,
  options: MaterializeOptions,
): Promise<MaterializeResult> {
  const links = hardlinkSets(pkg.files);
  const madeDirs = new Set<string>();
  // Threads create every remaining file as an empty placeholder from the header, then fill them.
  const threaded = (threads: number) => {
    const writer = threadedWriter(threads);
    writer.createPlaceholders(placeholderPaths(resolve(root), pkg.files, rels, links, madeDirs));
    return writer;
  };
  const regularFiles = pkg.files.filter((f) => f.type === 'file' && !f.ghost).length;
  const threads = options.writerThreads;
  const umask = currentUmask();
  const small =
    threads === 0 || regularFiles < threadedWriterFiles
      ? directWriter(umask)
      : threads === undefined
        ? adaptiveWriter(() => threaded(defaultWriterThreads), umask)
        : threaded(threads);
  try {
    return await materializeWith(small, links, madeDirs, root, pkg, rels, members, options);
  } finally {
    await small.close();
  }
}

async function materializeWith(
  small: SmallFileWriter,
  links: Map<number, number[]>,
  madeDirs: Set<string>,
  root: string,
  pkg: RpmPackage,
  rels: ReadonlyArray<string | undefined>,
  members: AsyncIterable<PayloadMember>,
  options: MaterializeOptions,
): Promise<MaterializeResult> {
  const result: MaterializeResult = { manifest: [], filesWritten: 0, bytesWritten: 0, skipped: [] };
  const linkTarget = new Map<number[], string>();
  const done = new Set<number>();
  const dirs: Array<{ abs: string; file: RpmFile }> = [];

  // The relative paths are canonical, so below the resolved root a concatenation is a join.
  const base = resolve(root);
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const place = (index: number, file: RpmFile): { rel: string; abs: string } => {
    const rel = rels[index];
    if (rel === undefined)
      throw rpmError('ERR_RPM_UNSAFE_PATH', `refusing to create ${file.path}, a %ghost file`, { value: file.path });
    const abs = prefix + rel;
    const parent = dirname(abs);
    if (!madeDirs.has(parent)) makeParents(base, parent, madeDirs, file.path);
    return { rel, abs };
  };
  const record = (index: number, file: RpmFile, extra: Partial<RpmManifestEntry> = {}) => {
    const entry: RpmManifestEntry = {
      path: `/${rels[index]!}`,
      type: file.type,
      user: file.user,
      group: file.group,
      mode: file.mode & 0o7777,
      ...extra,
    };
    if (file.caps) entry.caps = file.caps;
    result.manifest.push(entry);
  };
  const finishFile = (index: number, file: RpmFile, abs: string) => {
    done.add(index);
    result.filesWritten++;
    record(index, file);
    const set = links.get(index);
    if (set && !linkTarget.has(set)) linkTarget.set(set, abs);
  };
  // link() does not follow a symlink at `existing`; checking it is a regular file also keeps a
  // hard link from ever joining a directory, device or symlink.
  const hardLink = (index: number, file: RpmFile, existing: string) => {
    const { abs } = place(index, file);
    if (!lstatSync(existing, { throwIfNoEntry: false })?.isFile()) {
      throw rpmError(
        'ERR_RPM_UNSAFE_PATH',
        `refusing to hard-link ${file.path} to ${existing}: not the regular file written for its set`,
        { value: file.path, path: existing },
      );
    }
    io(file.path, () => linkSync(existing, abs));
    done.add(index);
    result.filesWritten++;
    record(index, file);
  };

  for await (const { index, file, entry } of members) {
    if (file.ghost) {
      continue;
    }
    if (done.has(index))
      throw rpmError('ERR_RPM_BAD_PAYLOAD', `payload holds ${file.path} twice`, { value: file.path });
    switch (file.type) {
      case 'dir': {
        const { abs } = place(index, file);
        makeDirectory(abs, file.path);
        madeDirs.add(abs);
        dirs.push({ abs, file });
        done.add(index);
        record(index, file);
        break;
      }
      case 'symlink': {
        const { abs } = place(index, file);
        let target = file.linkTo;
        if (!target) {
          const chunks: Buffer[] = [];
          for await (const chunk of entry.body) chunks.push(chunk);
          target = Buffer.concat(chunks).toString('utf8');
        }
        io(file.path, () => symlinkSync(target, abs));
        if (options.preserveMtime) io(file.path, () => lutimesSync(abs, file.mtime, file.mtime));
        done.add(index);
        result.filesWritten++;
        record(index, file);
        break;
      }
      case 'file': {
        const set = links.get(index);
        // Hard-link members without contents are linked once the member with contents is written.
        if (set && entry.size === 0 && file.size > 0) break;
        const existing = set && linkTarget.get(set);
        if (existing && entry.size === 0) {
          await small.drain();
          hardLink(index, file, existing);
          break;
        }
        const { abs } = place(index, file);
        if (entry.size !== file.size) {
          throw rpmError(
            'ERR_RPM_BAD_PAYLOAD',
            `${file.path}: payload holds ${entry.size} bytes, the header says ${file.size}`,
            { value: file.path },
          );
        }
        const hash = options.verify && file.digest ? newHash(pkg.fileDigestAlgorithm) : undefined;
        await writeRegular(abs, file, entry, hash, options.preserveMtime, small);
        if (hash) {
          const actual = hash.digest('hex');
          if (actual !== file.digest) {
            throw rpmError(
              'ERR_RPM_DIGEST_MISMATCH',
              `${file.path}: contents digest ${actual} does not match the header's ${file.digest}`,
              { value: file.path },
            );
          }
        }
        result.bytesWritten += file.size;
        finishFile(index, file, abs);
        break;
      }
      default: {
        // char, block, fifo, socket: no mknod without root; the manifest carries them.
        done.add(index);
        const reason = file.type === 'char' || file.type === 'block' ? 'device' : file.type;
        result.skipped.push({ path: file.path, reason });
        record(
          index,
          file,
          file.type === 'char' || file.type === 'block' ? { major: file.major, minor: file.minor } : {},
        );
      }
    }
  }

  // Members the payload does not carry: hard links, empty directories of old packages, ghosts.
  await small.drain();
  const [missing] = missingMembers(pkg.files, done, links, new Set(linkTarget.keys()));
  if (missing)
    throw rpmError('ERR_RPM_BAD_PAYLOAD', `${missing.path} is listed in the header but missing from the payload`, {
      value: missing.path,
    });
  for (const [index, file] of pkg.files.entries()) {
    if (done.has(index)) continue;
    if (file.ghost) {
      result.skipped.push({ path: file.path, reason: 'ghost' });
      continue;
    }
    const set = links.get(index);
    const existing = set && linkTarget.get(set);
    if (existing) {
      hardLink(index, file, existing);
    } else {
      const { abs } = place(index, file);
      makeDirectory(abs, file.path);
      dirs.push({ abs, file });
      record(index, file);
    }
  }

  // Directory modes and times last (deepest first), so read-only directories can be filled first.
  dirs.sort((a, b) => b.abs.length - a.abs.length);
  for (const { abs, file } of dirs)
    setDirectoryAttributes(abs, file.path, file.mode & 0o7777, options.preserveMtime ? file.mtime : undefined);
  // Byte order of the UTF-8 paths, as rpm lists them.
  const keyed = result.manifest.map((entry) => ({ entry, key: Buffer.from(entry.path) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  result.manifest = keyed.map((k) => k.entry);
  return result;
}
