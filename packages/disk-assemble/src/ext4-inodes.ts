import { open, type FileHandle } from 'node:fs/promises';
import { crc32cUpdate } from './crc32c.js';
import { Ext4LayoutError } from './errors.js';

export interface NormaliseInodesOptions {
  /** Byte offset of the filesystem inside the file (a partition of a disk image); default 0. */
  offset?: number;
  /** Set every owner to 0:0 (a tree copied by a non-root build is the builder's). */
  resetOwners: boolean;
  /** atime, ctime and crtime are set to it; mtime is clamped to it. */
  sourceDateEpoch: number;
  /** The tree has its own /lost+found, so mke2fs' lost+found inode is a tree inode. */
  treeHasLostFound: boolean;
}

const SUPERBLOCK = 1024;
const EXT4_MAGIC = 0xef53;
const ROOT_INO = 2;
const INCOMPAT_META_BG = 0x10;
const INCOMPAT_64BIT = 0x80;
const INCOMPAT_CSUM_SEED = 0x2000;
const RO_COMPAT_GDT_CSUM = 0x10;
const RO_COMPAT_METADATA_CSUM = 0x400;
const BG_INODE_UNINIT = 0x1;
/** i_extra_isize must reach past i_crtime_extra (0x94..0x97), as debugfs' `sif crtime` needs. */
const EXTRA_ISIZE_WITH_CRTIME = 0x98 - 0x80;
/** i_extra_isize that includes i_checksum_hi. */
const EXTRA_ISIZE_WITH_CSUM_HI = 4;

/**
 * Gives every inode `mkfs.ext4 -d` copied from the tree (the root directory and every used inode
 * from s_first_ino on, except mke2fs' own lost+found) the times and owners a root build would
 * have: atime, ctime and crtime = SOURCE_DATE_EPOCH, mtime clamped to it, and optionally 0:0.
 * This is, field for field, what a debugfs `sif` per inode did (seconds written, nanoseconds and
 * the other bits of the *_extra fields kept), but reads and writes each group's used inode table
 * once and recomputes the inode checksums itself. Every checksum is verified before it is
 * replaced, so a layout this code misreads fails instead of corrupting the image.
 * Returns the number of inodes normalised.
 */
export async function normaliseTreeInodes(image: string, options: NormaliseInodesOptions): Promise<number> {
  const offset = options.offset ?? 0;
  const handle = await open(image, 'r+');
  try {
    const sb = await readAt(handle, offset + SUPERBLOCK, 1024);
    const fail = (why: string) => new Ext4LayoutError(`${image}${offset ? ` at offset ${offset}` : ''}: ${why}`, image);
    if (sb.readUInt16LE(0x38) !== EXT4_MAGIC) throw fail('no ext4 superblock');
    const blockSize = 1024 << sb.readUInt32LE(0x18);
    const blocksCount =
      sb.readUInt32LE(0x04) + (sb.readUInt32LE(0x60) & INCOMPAT_64BIT ? sb.readUInt32LE(0x150) * 2 ** 32 : 0);
    const firstDataBlock = sb.readUInt32LE(0x14);
    const blocksPerGroup = sb.readUInt32LE(0x20);
    const inodesPerGroup = sb.readUInt32LE(0x28);
    const firstIno = sb.readUInt32LE(0x4c) === 0 ? 11 : sb.readUInt32LE(0x54);
    const inodeSize = sb.readUInt32LE(0x4c) === 0 ? 128 : sb.readUInt16LE(0x58);
    const incompat = sb.readUInt32LE(0x60);
    const roCompat = sb.readUInt32LE(0x64);
    if (incompat & INCOMPAT_META_BG) throw fail('meta_bg group descriptors are not supported');
    if (inodeSize < 0x80 + EXTRA_ISIZE_WITH_CRTIME) throw fail(`inode size ${inodeSize} has no room for crtime`);
    const is64 = (incompat & INCOMPAT_64BIT) !== 0;
    const descSize = is64 ? sb.readUInt16LE(0xfe) : 32;
    const metadataCsum = (roCompat & RO_COMPAT_METADATA_CSUM) !== 0;
    const groupCsum = metadataCsum || (roCompat & RO_COMPAT_GDT_CSUM) !== 0;
    const csumSeed =
      incompat & INCOMPAT_CSUM_SEED ? sb.readUInt32LE(0x270) : crc32cUpdate(0xffffffff, sb.subarray(0x68, 0x78));
    const groups = Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup);
    const descriptors = await readAt(handle, offset + (firstDataBlock + 1) * blockSize, groups * descSize);
    const epoch = options.sourceDateEpoch;
    let count = 0;
    for (let group = 0; group < groups; group++) {
      const d = descriptors.subarray(group * descSize, (group + 1) * descSize);
      if (groupCsum && d.readUInt16LE(0x12) & BG_INODE_UNINIT) continue;
      const hi = (field: number) => (is64 ? d.readUInt32LE(field) * 2 ** 32 : 0);
      const unused = groupCsum ? d.readUInt16LE(0x1c) + (is64 ? d.readUInt16LE(0x32) * 65536 : 0) : 0;
      const used = inodesPerGroup - unused;
      if (used <= 0) continue;
      const bitmap = await readAt(handle, offset + (d.readUInt32LE(0x04) + hi(0x24)) * blockSize, Math.ceil(used / 8));
      const tablePosition = offset + (d.readUInt32LE(0x08) + hi(0x28)) * blockSize;
      const table = await readAt(handle, tablePosition, used * inodeSize);
      let changed = false;
      for (let index = 0; index < used; index++) {
        const ino = group * inodesPerGroup + index + 1;
        if (!(bitmap[index >> 3]! & (1 << (index & 7)))) continue;
        if (ino !== ROOT_INO && ino < firstIno) continue;
        if (ino === firstIno && !options.treeHasLostFound) continue;
        const inode = table.subarray(index * inodeSize, (index + 1) * inodeSize);
        const extraIsize = inode.readUInt16LE(0x80);
        if (extraIsize < EXTRA_ISIZE_WITH_CRTIME)
          throw fail(`inode ${ino} has i_extra_isize ${extraIsize}, too small for crtime`);
        if (metadataCsum && inodeChecksum(inode, ino, csumSeed) !== storedChecksum(inode))
          throw fail(`inode ${ino} checksum does not verify`);
        if (options.resetOwners) for (const field of [0x02, 0x18, 0x78, 0x7a]) inode.writeUInt16LE(0, field);
        setTime(inode, 0x08, 0x8c, epoch);
        setTime(inode, 0x0c, 0x84, epoch);
        setTime(inode, 0x10, 0x88, Math.min(getTime(inode, 0x10, 0x88), epoch));
        setTime(inode, 0x90, 0x94, epoch);
        if (metadataCsum) setChecksum(inode, inodeChecksum(inode, ino, csumSeed));
        changed = true;
        count++;
      }
      if (changed) await handle.write(table, 0, table.length, tablePosition);
    }
    return count;
  } finally {
    await handle.close();
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new Ext4LayoutError(`short read at ${position}: ${bytesRead} of ${length} bytes`, '');
  return buffer;
}

/** ext4 time: 32 low bits of the seconds, and 2 epoch bits in the low bits of the *_extra field (nanoseconds above). */
function getTime(inode: Buffer, low: number, extra: number): number {
  return inode.readInt32LE(low) + (inode.readUInt32LE(extra) & 3) * 2 ** 32;
}

/** As debugfs' parse_time: low = (u32)t; epoch bits = ((t - (s32)t) >> 32) & 3; nanoseconds kept. */
function setTime(inode: Buffer, low: number, extra: number, seconds: number): void {
  const low32 = ((seconds % 2 ** 32) + 2 ** 32) % 2 ** 32;
  const signed = low32 >= 2 ** 31 ? low32 - 2 ** 32 : low32;
  const epochBits = ((seconds - signed) / 2 ** 32) & 3;
  inode.writeUInt32LE(low32, low);
  inode.writeUInt32LE(((inode.readUInt32LE(extra) & ~3) | epochBits) >>> 0, extra);
}

function hasChecksumHi(inode: Buffer): boolean {
  return inode.length > 128 && inode.readUInt16LE(0x80) >= EXTRA_ISIZE_WITH_CSUM_HI;
}

function storedChecksum(inode: Buffer): number {
  return (inode.readUInt16LE(0x7c) | (hasChecksumHi(inode) ? inode.readUInt16LE(0x82) << 16 : 0)) >>> 0;
}

function setChecksum(inode: Buffer, crc: number): void {
  inode.writeUInt16LE(crc & 0xffff, 0x7c);
  if (hasChecksumHi(inode)) inode.writeUInt16LE(crc >>> 16, 0x82);
}

/** e2fsprogs' ext2fs_inode_csum: crc32c(seed, inode number, generation, inode with its checksum fields zeroed). */
function inodeChecksum(inode: Buffer, ino: number, seed: number): number {
  const copy = Buffer.from(inode);
  copy.writeUInt16LE(0, 0x7c);
  const hi = hasChecksumHi(inode);
  if (hi) copy.writeUInt16LE(0, 0x82);
  const numbers = Buffer.alloc(8);
  numbers.writeUInt32LE(ino, 0);
  numbers.writeUInt32LE(inode.readUInt32LE(0x64), 4);
  const crc = crc32cUpdate(crc32cUpdate(seed, numbers), copy);
  return hi ? crc : crc & 0xffff;
}
