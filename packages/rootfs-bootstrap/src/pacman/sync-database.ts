import { compressorMagicBytes, decompress, DecompressError, sniffCompressor } from '@distroforge/core';
import { readFile } from 'node:fs/promises';
import { parseDescBlocks } from './desc-file.js';
import { PacmanDatabaseFormatError, PacmanDatabasePathError } from './errors.js';
import { packageInfoFromDesc, type PacmanPackageInfo } from './package-info.js';
import { zstdDecoderFor } from './install/zstd-decoder.js';
import { tarMembers } from './tar-members.js';

/** A repository's sync database (`core.db`), read. */
export interface PacmanSyncDatabase {
  repo: string;
  /** In the archive's order; a name seen twice keeps its first entry, as pacman does. */
  packages: PacmanPackageInfo[];
}

export interface ReadSyncDatabaseOptions {
  /** Names the database in errors (its URL or path); the file path by default. */
  origin?: string;
  /** Largest decompressed size accepted (default 1 GiB): a compression bomb is an error, not an allocation. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;

/** Reads `<repo>.db` from a file. */
export async function readPacmanSyncDatabaseFile(
  file: string,
  repo: string,
  options: ReadSyncDatabaseOptions = {},
): Promise<PacmanSyncDatabase> {
  return parsePacmanSyncDatabase(await readFile(file), repo, { origin: file, ...options });
}

/**
 * Reads a sync database: a tar archive of `NAME-VERSION/desc` files, stored as is or compressed
 * with gzip, xz, zstd (or bzip2, lzma) — told by its first bytes, never by a file name, since
 * repo-add's `.db` is whatever `.db.tar.*` it links to. Folders hold `desc` and, in old databases,
 * `depends` (read as part of desc); `files` (of a `.files` database) and other members are skipped.
 */
export async function parsePacmanSyncDatabase(
  bytes: Buffer,
  repo: string,
  options: ReadSyncDatabaseOptions = {},
): Promise<PacmanSyncDatabase> {
  const origin = options.origin ?? `${repo}.db`;
  const archive = await decompressed(bytes, origin, options.maxBytes ?? DEFAULT_MAX_BYTES);
  const texts = new Map<string, string>();
  for (const member of tarMembers(archive, origin)) {
    const parts = memberParts(member.path, origin);
    if (parts === undefined) continue;
    if (member.type !== 'file' || (parts.file !== 'desc' && parts.file !== 'depends')) continue;
    const key = parts.folder;
    // depends after desc, as pacman reads them: the two hold different keys.
    texts.set(
      key,
      parts.file === 'desc'
        ? `${member.data.toString('utf8')}\n\n${texts.get(key) ?? ''}`
        : `${texts.get(key) ?? ''}\n\n${member.data.toString('utf8')}`,
    );
  }
  const packages: PacmanPackageInfo[] = [];
  const seen = new Set<string>();
  for (const [folder, text] of texts) {
    const where = `${origin}: ${folder}/desc`;
    const info = packageInfoFromDesc(parseDescBlocks(text, where), repo, folder, where);
    if (seen.has(info.name)) continue;
    seen.add(info.name);
    packages.push(info);
  }
  return { repo, packages };
}

/** `NAME-VERSION/FILE` split; undefined for the folder itself. Anything else is refused. */
function memberParts(path: string, origin: string): { folder: string; file: string } | undefined {
  const parts = path.replace(/\/$/, '').split('/');
  const bad =
    parts.some((p) => p === '' || p === '.' || p === '..') ||
    path.startsWith('/') ||
    parts.length > 2 ||
    path.includes('\0');
  if (bad)
    throw new PacmanDatabasePathError(
      `${origin}: member ${JSON.stringify(path.slice(0, 200))} is not NAME-VERSION/FILE`,
      { path: origin, value: path.slice(0, 4095) },
    );
  return parts.length === 2 ? { folder: parts[0]!, file: parts[1]! } : undefined;
}

/** A zstd database up to this size (compressed) is decoded in this thread (see decodeBytesHere). */
const DECODE_HERE_BYTES = 4 << 20;

async function decompressed(bytes: Buffer, origin: string, maxBytes: number): Promise<Buffer> {
  const compressor = sniffCompressor(bytes.subarray(0, compressorMagicBytes));
  if (compressor === undefined) {
    if (bytes.length > maxBytes)
      throw new PacmanDatabaseFormatError(`${origin}: ${bytes.length} bytes, more than the ${maxBytes} accepted`, {
        path: origin,
        value: bytes.length,
      });
    return bytes;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    // zstd by the in-process decoder where it loads, as the packages are:
    // a `zstd` process per database costs more than decoding it.
    const zstd = compressor === 'zstd' ? await zstdDecoderFor() : undefined;
    const decoded = zstd
      ? ((bytes.length <= DECODE_HERE_BYTES ? zstd.decodeBytesHere(bytes, origin) : undefined) ??
        zstd.decodeBytes(bytes, origin))
      : decompress([bytes], compressor, { origin });
    for await (const chunk of decoded) {
      total += chunk.length;
      if (total > maxBytes)
        throw new PacmanDatabaseFormatError(`${origin}: decompresses to more than the ${maxBytes} bytes accepted`, {
          path: origin,
          value: total,
        });
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof DecompressError)
      throw new PacmanDatabaseFormatError(`${origin}: does not decompress as ${compressor}`, {
        path: origin,
        value: compressor,
        cause: error,
      });
    throw error;
  }
  return Buffer.concat(chunks);
}
