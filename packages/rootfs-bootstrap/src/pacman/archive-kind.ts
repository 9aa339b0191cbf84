import { decompress, sniffCompressor, type Compression } from '@distroforge/core';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * What a pacman-format file is, from its first tar header (after its compression, read from its
 * first bytes, never from its name): a package (`.PKGINFO` and the other dot-files come first) or a
 * sync database (`NAME-VERSION/desc` members); undefined for anything else, unreadable data included.
 */
export async function pacmanArchiveKind(file: string): Promise<'package' | 'database' | undefined> {
  const head = Buffer.alloc(512);
  const handle = await open(file, 'r');
  const { bytesRead } = await handle.read(head, 0, head.length, 0).finally(() => handle.close());
  const start = head.subarray(0, bytesRead);
  const compression: Compression =
    start.subarray(257, 262).toString('latin1') === 'ustar' ? 'none' : (sniffCompressor(start) ?? 'none');
  let header = Buffer.alloc(0);
  try {
    for await (const chunk of decompress(createReadStream(file, { highWaterMark: 64 * 1024 }), compression)) {
      header = Buffer.concat([header, chunk]);
      if (header.length >= 512) break;
    }
  } catch {
    return undefined; // not a stream of that compression
  }
  if (header.length < 512 || header.subarray(257, 262).toString('latin1') !== 'ustar') return undefined;
  const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '').replace(/^\.\//, '');
  if (/^\.(PKGINFO|BUILDINFO|MTREE|INSTALL|CHANGELOG)$/.test(name)) return 'package';
  if (/^[^/]+-[^/-]+-[^/-]+\/(desc|files)?$/.test(name)) return 'database';
  return undefined;
}
