import { fileTypeBits } from '@distroforge/core';
import type { CpioEntryType } from '../src/cpio-entry.js';
import { encodeNewcHeader, pad4 } from '../src/encode-newc-header.js';

/** One member as a hostile archive would carry it: any name, any inode, any order, duplicates allowed. */
export interface RawMember {
  name: string;
  type: CpioEntryType;
  mode?: number;
  ino?: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  /** File data or symlink target. */
  data?: string | Buffer;
  /** Declared size when it should differ from the data's (a lying header). */
  size?: number;
}

/**
 * Encodes members exactly as given (with the package's own header encoder, which checks only field
 * widths): the writer refuses `..`, duplicates and hard links of mixed types, an attacker does not.
 */
export function rawMember(member: RawMember): Buffer {
  const data = Buffer.from(member.data ?? '');
  const header = encodeNewcHeader(
    {
      ino: member.ino ?? 0,
      mode: fileTypeBits[member.type] | (member.mode ?? (member.type === 'dir' ? 0o755 : 0o644)),
      uid: member.uid ?? 0,
      gid: member.gid ?? 0,
      nlink: member.nlink ?? 1,
      mtime: member.mtime ?? 1_700_000_000,
      filesize: member.size ?? data.length,
      devmajor: 0,
      devminor: 0,
      rdevmajor: 0,
      rdevminor: 0,
      check: 0,
    },
    member.name,
  );
  return Buffer.concat([header, data, Buffer.alloc(pad4(data.length))]);
}

/** A whole archive: the members, `TRAILER!!!`, NUL padding to 512 bytes. */
export function rawArchive(members: readonly RawMember[]): Buffer {
  const body = Buffer.concat([
    ...members.map(rawMember),
    rawMember({ name: 'TRAILER!!!', type: 'file', mode: 0, ino: 0, nlink: 1, mtime: 0 }),
  ]);
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}
