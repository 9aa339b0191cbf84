import type { ReadEntry } from 'tar';

/** What a `.deb` data tarball member installs. */
export type DebMemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

const byTarType: Partial<Record<ReadEntry['type'], DebMemberType>> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'dir',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
  CharacterDevice: 'char',
  BlockDevice: 'block',
  FIFO: 'fifo',
};

/** The member type of a tar entry type; undefined for entries that are not package members (pax and GNU extension headers). */
export function debMemberType(type: ReadEntry['type']): DebMemberType | undefined {
  return byTarType[type];
}
