// Hostile packages built in the test: a header listing any files (duplicates, odd types, wrong
// digests) and a newc payload holding any members in any order, with every digest consistent, so
// extraction and verification get past the digest checks and reach the code under test.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createGzip, gzipSync } from 'node:zlib';
import { buildHeader, buildPackage, type TestTag } from './header-builder.js';

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

/** One file the header lists. */
export interface CraftedFile {
  path: string;
  mode: number;
  /** Defaults to the byte length of `data` (or of `linkTo` for a symlink). */
  size?: number;
  data?: Buffer | string;
  linkTo?: string;
  inode?: number;
  /** Defaults to the md5/sha256 of `data` for regular files. */
  digest?: string;
  ghost?: boolean;
}

/** One payload member: by default the header file of the same path, with its data. */
export interface CraftedMember {
  name: string;
  /** Write rpm >= 4.12's stripped `07070X` member naming this header index (name, mode, nlink unused). */
  index?: number;
  mode: number;
  data?: Buffer | string;
  nlink?: number;
  ino?: number;
  /** Declared filesize; defaults to the data's length. */
  size?: number;
  /** Declared namesize (with the NUL); defaults to the real one. */
  nameSize?: number;
  /** Data of this many zero bytes instead of `data`, streamed into the compressor (gzip only), never held whole. */
  zeros?: number;
}

export type CraftedCompression = 'gzip' | 'identity' | 'xz' | 'zstd' | 'bzip2';

export interface CraftOptions {
  files: CraftedFile[];
  /** Defaults to every non-ghost file in header order, with its data. */
  members?: CraftedMember[];
  /** The default members as stripped `07070X` members (by header index, so a path listed twice is reachable twice). */
  stripped?: boolean;
  digestAlgorithm?: 'md5' | 'sha256';
  compression?: CraftedCompression;
  /** Record a payload digest (rpm >= 4.14); default true. */
  payloadDigest?: boolean;
  /** Rewrites the uncompressed archive before it is compressed and digested (fuzzing below the digests). */
  mutateArchive?: (archive: Buffer) => Buffer;
}

const bytes = (data: Buffer | string | undefined) => (data === undefined ? Buffer.alloc(0) : Buffer.from(data));
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

/** An archive as byte runs, a number standing for that many zero bytes. */
type ArchivePart = Buffer | number;

/** A newc member header and name, padded; `size`/`nameSize` may lie about what follows. */
function newcMember(m: CraftedMember, index: number): ArchivePart[] {
  const data: ArchivePart = m.zeros ?? bytes(m.data);
  const dataLength = typeof data === 'number' ? data : data.length;
  if (m.index !== undefined) {
    const head = Buffer.from(`07070X${(m.index >>> 0).toString(16).padStart(8, '0')}`, 'latin1');
    return [head, pad4(head.length), data, pad4(dataLength)];
  }
  const name = Buffer.from(`${m.name}\0`);
  const fields = [
    m.ino ?? index + 1,
    m.mode,
    0,
    0,
    m.nlink ?? 1,
    1_700_000_000,
    m.size ?? dataLength,
    0,
    0,
    0,
    0,
    m.nameSize ?? name.length,
    0,
  ];
  const head = Buffer.from(`070701${fields.map((f) => (f >>> 0).toString(16).padStart(8, '0')).join('')}`, 'latin1');
  return [head, name, pad4(head.length + name.length), data, pad4(dataLength)];
}

function archiveParts(members: CraftedMember[]): ArchivePart[] {
  return [...members.flatMap(newcMember), ...newcMember({ name: 'TRAILER!!!', mode: 0, nlink: 1 }, members.length)];
}

/** A newc archive of the members, with its trailer. */
export function newcArchive(members: CraftedMember[]): Buffer {
  return Buffer.concat(archiveParts(members).map((p) => (typeof p === 'number' ? Buffer.alloc(p) : p)));
}

/** gzip of the parts, zero runs fed a mebibyte at a time (level 1: a gibibyte takes about a second). */
async function gzipParts(parts: ArchivePart[]): Promise<Buffer> {
  const gzip = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = once(gzip, 'end');
  const zeros = Buffer.alloc(1 << 20);
  for (const part of parts) {
    for (let left = typeof part === 'number' ? part : 0; left > 0; left -= zeros.length) {
      if (!gzip.write(zeros.subarray(0, Math.min(left, zeros.length)))) await once(gzip, 'drain');
    }
    if (typeof part !== 'number') gzip.write(part);
  }
  gzip.end();
  await ended;
  return Buffer.concat(out);
}

async function compress(
  members: CraftedMember[],
  compression: CraftedCompression,
  mutate = (archive: Buffer) => archive,
): Promise<Buffer> {
  if (members.some((m) => m.zeros !== undefined)) {
    if (compression !== 'gzip') throw new Error('zero-run members are written with gzip only');
    return gzipParts(archiveParts(members));
  }
  const archive = mutate(newcArchive(members));
  if (compression === 'identity') return archive;
  if (compression === 'gzip') return gzipSync(archive);
  const { stdout } = await execa(compression, ['-c'], {
    input: archive,
    encoding: 'buffer',
    stripFinalNewline: false, // compressed bytes may end with 0x0a
    timeout: 60_000,
  });
  return Buffer.from(stdout);
}

const fileDigest = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('hex');

/**
 * The default members: every non-ghost file with its contents, as rpmbuild lays them out (in a
 * hard-link set only the last member carries the contents; stripped members are sized by the header).
 */
export function defaultMembers(files: CraftedFile[], stripped = false): CraftedMember[] {
  const lastOfInode = new Map<number, number>();
  files.forEach((f, i) => {
    if (f.inode !== undefined && (f.mode & 0o170000) === S_IFREG) lastOfInode.set(f.inode, i);
  });
  return files.flatMap((f, i) => {
    if (f.ghost) return [];
    const shared =
      f.inode !== undefined && files.filter((g) => g.inode === f.inode && (g.mode & 0o170000) === S_IFREG).length > 1;
    const data =
      (f.mode & 0o170000) === S_IFLNK
        ? (f.linkTo ?? '')
        : shared && lastOfInode.get(f.inode!) !== i
          ? undefined
          : f.data;
    return [{ name: `.${f.path}`, mode: f.mode, data, index: stripped ? i : undefined }];
  });
}

/** The header of the crafted files (and payload digest); exported for header-only tests. */
export function craftedHeader(files: CraftedFile[], algorithm: 'md5' | 'sha256', extra: TestTag[] = []): Buffer {
  const dirs = [...new Set(files.map((f) => f.path.slice(0, f.path.lastIndexOf('/') + 1)))];
  const isLink = (f: CraftedFile) => (f.mode & 0o170000) === S_IFLNK;
  const isFile = (f: CraftedFile) => (f.mode & 0o170000) === S_IFREG;
  const tags: TestTag[] = [
    { tag: 1000, type: 6, value: 'crafted' },
    { tag: 1001, type: 6, value: '1' },
    { tag: 1002, type: 6, value: '1' },
    { tag: 1004, type: 9, value: ['crafted package'] },
    { tag: 1021, type: 6, value: 'linux' },
    { tag: 1022, type: 6, value: 'noarch' },
    {
      tag: 1028,
      type: 4,
      value: files.map((f) => f.size ?? (isLink(f) ? Buffer.byteLength(f.linkTo ?? '') : bytes(f.data).length)),
    },
    { tag: 1030, type: 3, value: files.map((f) => f.mode) },
    { tag: 1034, type: 4, value: files.map(() => 1_700_000_000) },
    {
      tag: 1035,
      type: 8,
      value: files.map((f) => f.digest ?? (isFile(f) ? fileDigest(algorithm, bytes(f.data)) : '')),
    },
    { tag: 1036, type: 8, value: files.map((f) => f.linkTo ?? '') },
    { tag: 1037, type: 4, value: files.map((f) => (f.ghost ? 1 << 6 : 0)) },
    { tag: 1039, type: 8, value: files.map(() => 'root') },
    { tag: 1040, type: 8, value: files.map(() => 'root') },
    { tag: 1096, type: 4, value: files.map((f, i) => f.inode ?? i + 1) },
    { tag: 1116, type: 4, value: files.map((f) => dirs.indexOf(f.path.slice(0, f.path.lastIndexOf('/') + 1))) },
    { tag: 1117, type: 8, value: files.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1)) },
    { tag: 1118, type: 8, value: dirs },
    { tag: 1124, type: 6, value: 'cpio' },
    { tag: 5011, type: 4, value: [algorithm === 'md5' ? 1 : 8] },
    ...extra,
  ];
  return buildHeader(tags, 63);
}

/** A complete package whose header, payload and size digests all match its (hostile) contents. */
export async function craftRpm(options: CraftOptions): Promise<Buffer> {
  const algorithm = options.digestAlgorithm ?? 'sha256';
  const payload = await compress(
    options.members ?? defaultMembers(options.files, options.stripped),
    options.compression ?? 'gzip',
    options.mutateArchive,
  );
  const extra: TestTag[] = [{ tag: 1125, type: 6, value: options.compression ?? 'gzip' }];
  if (options.payloadDigest ?? true) {
    extra.push(
      { tag: 5092, type: 8, value: [createHash('sha256').update(payload).digest('hex')] },
      { tag: 5093, type: 4, value: [8] },
    );
  }
  const header = craftedHeader(options.files, algorithm, extra);
  const signature = buildHeader(
    [
      { tag: 273, type: 6, value: createHash('sha256').update(header).digest('hex') },
      { tag: 1000, type: 4, value: [header.length + payload.length] },
      { tag: 1004, type: 7, value: createHash('md5').update(header).update(payload).digest() },
    ],
    62,
  );
  return buildPackage('crafted-1-1', signature, header, payload);
}
