import { rpmError } from './errors.js';
import { maxPathBytes, maxPathBytesPerHeaderByte, minPathBytesAllowance } from './limits.js';
import type { HeaderTags } from './parse-header.js';
import { FileFlag, hashAlgorithms, Tag } from './tags.js';
import type { RpmFile, RpmFileType } from './types.js';

const fileTypes: Record<number, RpmFileType> = {
  0o100000: 'file',
  0o040000: 'dir',
  0o120000: 'symlink',
  0o020000: 'char',
  0o060000: 'block',
  0o010000: 'fifo',
  0o140000: 'socket',
};

/** The file type a full st_mode encodes ('file' for unknown type bits). */
export function fileTypeOf(mode: number): RpmFileType {
  return fileTypes[mode & 0o170000] ?? 'file';
}

/** The digest algorithm of FILEDIGESTS (rpm's default before FILEDIGESTALGO existed is MD5). */
export function fileDigestAlgorithm(tags: HeaderTags): string {
  const id = tags.number(Tag.FileDigestAlgo) ?? 1;
  const name = hashAlgorithms[id];
  if (!name) throw rpmError('ERR_RPM_BAD_HEADER', `unknown file digest algorithm ${id}`, { value: id });
  return name;
}

/**
 * Full paths, from the compressed dirnames/basenames/dirindexes triple or the v3 OLDFILENAMES.
 * Each path is at most PATH_MAX - 1 bytes, and all of them together at most a fixed multiple of
 * `headerBytes` (shared directory names would otherwise let a small header name gigabytes).
 */
export function filePaths(tags: HeaderTags, headerBytes = 0): string[] {
  const basenames = tags.strings(Tag.BaseNames);
  const budget = Math.max(minPathBytesAllowance, headerBytes * maxPathBytesPerHeaderByte);
  let total = 0;
  const count = (bytes: number, name: string) => {
    if (bytes > maxPathBytes)
      throw rpmError(
        'ERR_RPM_LIMIT_EXCEEDED',
        `file path ending ${JSON.stringify(name.slice(-64))} is ${bytes} bytes, longer than PATH_MAX allows (${maxPathBytes})`,
        { value: bytes },
      );
    total += bytes;
    if (total > budget)
      throw rpmError(
        'ERR_RPM_LIMIT_EXCEEDED',
        `the file paths add up to more than ${budget} bytes (${maxPathBytesPerHeaderByte} per header byte)`,
        { value: total },
      );
  };
  if (basenames) {
    const dirnames = tags.strings(Tag.DirNames) ?? [];
    const dirBytes = dirnames.map((d) => Buffer.byteLength(d));
    const indexes = tags.numbers(Tag.DirIndexes) ?? [];
    if (indexes.length !== basenames.length)
      throw rpmError('ERR_RPM_BAD_HEADER', 'DIRINDEXES and BASENAMES differ in length', { value: indexes.length });
    return basenames.map((base, i) => {
      const dir = dirnames[indexes[i]!];
      if (dir === undefined)
        throw rpmError('ERR_RPM_HEADER_OVERFLOW', `file ${i} points at directory ${indexes[i]} of ${dirnames.length}`, {
          value: indexes[i],
        });
      // Measured before the two are joined, so an oversized path is never built.
      count(dirBytes[indexes[i]!]! + Buffer.byteLength(base), base);
      return dir + base;
    });
  }
  const old = tags.strings(Tag.OldFileNames) ?? [];
  for (const path of old) count(Buffer.byteLength(path), path);
  return old;
}

/** Every file the header lists, with full metadata, in header order (sorted by path, as rpm stores it). */
export function readFileList(tags: HeaderTags, headerBytes = 0): RpmFile[] {
  const paths = filePaths(tags, headerBytes);
  const n = paths.length;
  if (n === 0) return [];
  const sizes = tags.numbers(Tag.LongFileSizes) ?? tags.numbers(Tag.FileSizes);
  const modes = tags.numbers(Tag.FileModes);
  const rdevs = tags.numbers(Tag.FileRdevs);
  const mtimes = tags.numbers(Tag.FileMtimes);
  const digests = tags.strings(Tag.FileDigests);
  const links = tags.strings(Tag.FileLinkTos);
  const flags = tags.numbers(Tag.FileFlags);
  const users = tags.strings(Tag.FileUserName);
  const groups = tags.strings(Tag.FileGroupName);
  const inodes = tags.numbers(Tag.FileInodes);
  const caps = tags.strings(Tag.FileCaps);
  const langs = tags.strings(Tag.FileLangs);
  const required = { sizes, modes, mtimes, users, groups };
  for (const [key, value] of Object.entries(required)) {
    if (!value || value.length !== n)
      throw rpmError('ERR_RPM_BAD_HEADER', `file ${key} list has ${value?.length ?? 0} entries for ${n} files`, {
        value: key,
      });
  }
  for (const [key, value] of Object.entries({ rdevs, digests, links, flags, inodes, caps, langs })) {
    if (value && value.length !== n)
      throw rpmError('ERR_RPM_BAD_HEADER', `file ${key} list has ${value.length} entries for ${n} files`, {
        value: key,
      });
  }
  return paths.map((path, i): RpmFile => {
    const mode = modes![i]!;
    if (fileTypeOf(mode) === 'symlink') boundSymlink(path, sizes![i]!, links?.[i] ?? '');
    const f = flags?.[i] ?? 0;
    const rdev = rdevs?.[i] ?? 0;
    return {
      path,
      type: fileTypeOf(mode),
      size: sizes![i]!,
      mode,
      mtime: mtimes![i]!,
      digest: digests?.[i] ?? '',
      linkTo: links?.[i] ?? '',
      user: users![i]!,
      group: groups![i]!,
      flags: f,
      config: (f & FileFlag.config) !== 0,
      doc: (f & FileFlag.doc) !== 0,
      ghost: (f & FileFlag.ghost) !== 0,
      license: (f & FileFlag.license) !== 0,
      missingOk: (f & FileFlag.missingok) !== 0,
      noReplace: (f & FileFlag.noreplace) !== 0,
      rdev,
      major: (rdev >> 8) & 0xff,
      minor: rdev & 0xff,
      inode: inodes?.[i] ?? 0,
      caps: caps?.[i] ?? '',
      lang: langs?.[i] ?? '',
    };
  });
}

/**
 * A symlink's target (FILELINKTOS) and its declared size (FILESIZES: the target's length, which
 * the payload member then carries) stay within what the kernel accepts.
 */
function boundSymlink(path: string, size: number, target: string): void {
  const bytes = Math.max(size, Buffer.byteLength(target));
  if (bytes > maxPathBytes) {
    throw rpmError(
      'ERR_RPM_LIMIT_EXCEEDED',
      `${path}: a symlink target of ${bytes} bytes is longer than PATH_MAX allows (${maxPathBytes})`,
      { value: bytes, path },
    );
  }
}
