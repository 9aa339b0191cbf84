import { createHash, type Hash } from 'node:crypto';
import { ByteReader } from './byte-reader.js';
import { readCpioEntries, type CpioEntry } from './cpio-reader.js';
import { decompressPayload } from './decompress-payload.js';
import { hardlinkSets } from './hardlink-sets.js';
import { rpmError } from './errors.js';
import { fileTypeOf } from './file-list.js';
import { maxPathBytes } from './limits.js';
import { openSource, type RpmSource } from './open-source.js';
import { packageInfo } from './package-info.js';
import { readPackageHeaders, type PackageHeaders } from './read-package-headers.js';
import type { RpmFile, RpmPackage } from './types.js';

export interface OpenedPackage {
  reader: ByteReader;
  headers: PackageHeaders;
  pkg: RpmPackage;
}

/** Opens a source and reads its headers; the reader is left at the payload. */
export async function openPackage(source: RpmSource): Promise<OpenedPackage> {
  const reader = await openSource(source);
  try {
    const headers = await readPackageHeaders(reader);
    return { reader, headers, pkg: packageInfo(headers, reader.position) };
  } catch (error) {
    await reader.close();
    throw error;
  }
}

export interface PayloadMember {
  index: number;
  file: RpmFile;
  entry: CpioEntry;
}

/** Strips `./` and `/` so payload names and header paths compare equal. */
export function relativeName(path: string): string {
  // Fast path for rpm's own `./usr/...` (one call per payload member).
  if (path.charCodeAt(0) === 0x2e && path.charCodeAt(1) === 0x2f && path.charCodeAt(2) !== 0x2f) return path.slice(2);
  return path.replace(/^\.?\/+/, '');
}

/**
 * Streams the payload members, each matched to its header file. Feeds the compressed bytes to
 * `onPayloadBytes` (if given) as they pass, so the payload digest costs no second read.
 */
export async function* walkPayload(
  opened: OpenedPackage,
  onPayloadBytes?: (chunk: Buffer) => void,
): AsyncGenerator<PayloadMember> {
  const { reader, pkg } = opened;
  const untap = onPayloadBytes ? reader.tap(onPayloadBytes) : undefined;
  try {
    const byName = new Map(pkg.files.map((file, index) => [relativeName(file.path), index]));
    const archive = new ByteReader(decompressPayload(reader, pkg.payload.compressor), 'payload archive');
    const links = hardlinkSets(pkg.files);
    const sizeOfIndex = (index: number) => {
      const file = pkg.files[index];
      if (!file)
        throw rpmError(
          'ERR_RPM_BAD_PAYLOAD',
          `payload member names file #${index}, the header lists ${pkg.files.length}`,
          { value: index },
        );
      // Regular files carry their contents (hard links: only the last of the set), symlinks
      // their target (FILESIZES holds its length).
      const set = links.get(index);
      if (set && set[set.length - 1] !== index) return 0;
      return file.type === 'file' || file.type === 'symlink' ? file.size : 0;
    };
    for await (const entry of readCpioEntries(archive, sizeOfIndex)) {
      const index = entry.index ?? byName.get(relativeName(entry.name ?? ''));
      const file = index === undefined ? undefined : pkg.files[index];
      if (index === undefined || !file) {
        throw rpmError(
          'ERR_RPM_BAD_PAYLOAD',
          `payload member ${entry.name ?? `#${entry.index}`} is not listed in the header`,
          { value: entry.name ?? entry.index },
        );
      }
      // Metadata comes from the header; a newc member whose own type disagrees (a symlink where the
      // header lists a file) is a forged or corrupt archive, refused rather than half-trusted.
      // Stripped members carry no mode (0).
      if (entry.mode !== 0 && (entry.mode & 0o170000) !== (file.mode & 0o170000)) {
        throw rpmError(
          'ERR_RPM_BAD_PAYLOAD',
          `payload member ${entry.name} is a ${fileTypeOf(entry.mode)}, the header lists ${file.path} as a ${file.type}`,
          { value: file.path },
        );
      }
      // A symlink member carries its target; bounded before anyone reads it into memory.
      if (file.type === 'symlink' && entry.size > maxPathBytes) {
        throw rpmError(
          'ERR_RPM_LIMIT_EXCEEDED',
          `payload member for ${file.path} holds a symlink target of ${entry.size} bytes, longer than PATH_MAX allows (${maxPathBytes})`,
          {
            value: entry.size,
            path: file.path,
          },
        );
      }
      yield { index, file, entry };
    }
    // Whatever follows the trailer (zero padding) must still pass through the digests.
    for await (const chunk of archive.rest()) void chunk;
    for await (const chunk of reader.rest()) void chunk;
  } finally {
    untap?.();
  }
}

/** A hash of the given algorithm (names as in RpmPackage: md5, sha1, sha256, ...). */
export function newHash(algorithm: string): Hash {
  try {
    return createHash(algorithm);
  } catch (cause) {
    throw rpmError('ERR_RPM_BAD_HEADER', `unsupported digest algorithm ${algorithm}`, { value: algorithm, cause });
  }
}
