import type { ManifestEntry } from './manifest.js';

/** A file's type, as manifests, archives and file systems name it. */
export type FileType = NonNullable<ManifestEntry['type']>;

/** st_mode's S_IFMT bits by file type: one table for every archive and file system format that stores a full mode. */
export const fileTypeBits: Readonly<Record<FileType, number>> = {
  fifo: 0o010000,
  char: 0o020000,
  dir: 0o040000,
  block: 0o060000,
  file: 0o100000,
  symlink: 0o120000,
  socket: 0o140000,
};

const typeByBits = new Map<number, FileType>(
  Object.entries(fileTypeBits).map(([type, bits]) => [bits, type as FileType]),
);

/** The file type the S_IFMT bits of `mode` encode (undefined for bits no type has). */
export function fileTypeOfMode(mode: number): FileType | undefined {
  return typeByBits.get(mode & 0o170000);
}
