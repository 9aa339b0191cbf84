import { crc32 } from 'node:zlib';
import { InvalidDiskOptionsError, PartitionLayoutError } from './errors.js';
import { guidToBytes } from './guid.js';
import { partitionTypeGuid } from './partition-types.js';

export const SECTOR = 512;
/** Entries in the partition array (the UEFI minimum, 16 KiB = 32 sectors, what every tool writes). */
export const GPT_ENTRY_COUNT = 128;
const ENTRY_SIZE = 128;
const HEADER_SIZE = 92;
const ARRAY_SECTORS = (GPT_ENTRY_COUNT * ENTRY_SIZE) / SECTOR;
/** Protective MBR + header + entry array. */
export const GPT_HEAD_SECTORS = 2 + ARRAY_SECTORS;
/** Backup entry array + backup header at the end of the disk. */
export const GPT_TAIL_SECTORS = 1 + ARRAY_SECTORS;

export interface GptPartition {
  /** Partition label (up to 36 UTF-16 code units). */
  name: string;
  /** A name from `partitionTypes` or a type GUID. */
  type: string;
  /** Unique partition GUID. */
  guid: string;
  firstLba: number;
  /** Inclusive, as GPT stores it. */
  lastLba: number;
  /** Attribute bit numbers to set (0 required, 2 legacy BIOS bootable, 48-63 type specific). */
  attributeBits?: readonly number[];
}

export interface GptTable {
  diskGuid: string;
  /** Disk size in 512-byte sectors. */
  sectorCount: number;
  partitions: readonly GptPartition[];
}

export interface EncodedGpt {
  /** Sectors 0..33: protective MBR, primary header, primary entry array. */
  head: Buffer;
  /** The last 33 sectors: backup entry array, then the backup header. */
  tail: Buffer;
  /** Byte offset of `tail` on the disk. */
  tailOffset: number;
}

/** The first and last LBA a partition may use on a disk of `sectorCount` sectors. */
export function usableRange(sectorCount: number): { firstUsable: number; lastUsable: number } {
  return { firstUsable: GPT_HEAD_SECTORS, lastUsable: sectorCount - GPT_TAIL_SECTORS - 1 };
}

/** Checks the table (GUIDs, names, bounds, overlaps); throws PartitionLayoutError or InvalidDiskOptionsError. */
export function validateGpt(table: GptTable): void {
  const { firstUsable, lastUsable } = usableRange(table.sectorCount);
  if (!Number.isSafeInteger(table.sectorCount) || lastUsable < firstUsable) {
    throw new PartitionLayoutError(
      `a GPT disk needs more than ${GPT_HEAD_SECTORS + GPT_TAIL_SECTORS} sectors, got ${table.sectorCount}`,
      { value: table.sectorCount },
    );
  }
  if (table.partitions.length > GPT_ENTRY_COUNT)
    throw new PartitionLayoutError(`at most ${GPT_ENTRY_COUNT} partitions`, { value: table.partitions.length });
  guidToBytes(table.diskGuid);
  const sorted = [...table.partitions].sort((a, b) => a.firstLba - b.firstLba);
  for (const [i, p] of sorted.entries()) {
    guidToBytes(p.guid);
    guidToBytes(partitionTypeGuid(p.type));
    if (p.name.length > 36)
      throw new InvalidDiskOptionsError(`partition name longer than 36 UTF-16 units: ${p.name}`, { value: p.name });
    if (
      !Number.isSafeInteger(p.firstLba) ||
      !Number.isSafeInteger(p.lastLba) ||
      p.firstLba < firstUsable ||
      p.lastLba > lastUsable ||
      p.lastLba < p.firstLba
    ) {
      throw new PartitionLayoutError(
        `partition ${p.name} (sectors ${p.firstLba}..${p.lastLba}) lies outside the usable sectors ${firstUsable}..${lastUsable}`,
        { value: p.name },
      );
    }
    const previous = sorted[i - 1];
    if (previous && previous.lastLba >= p.firstLba) {
      throw new PartitionLayoutError(`partitions ${previous.name} and ${p.name} overlap at sector ${p.firstLba}`, {
        value: [previous.name, p.name],
      });
    }
    if (p.attributeBits?.some((bit) => !Number.isInteger(bit) || bit < 0 || bit > 63)) {
      throw new InvalidDiskOptionsError(`partition ${p.name}: attribute bits are 0..63`, { value: p.attributeBits });
    }
  }
  const guids = new Set(table.partitions.map((p) => p.guid.toUpperCase()));
  if (guids.size !== table.partitions.length)
    throw new InvalidDiskOptionsError('two partitions share a GUID', { value: table.partitions.map((p) => p.guid) });
}

/**
 * Encodes the protective MBR, both GPT headers and both entry arrays (CRC32s included).
 * `mbrBootCode` (up to 440 bytes, e.g. GRUB's boot.img) goes before the MBR's disk signature.
 */
export function encodeGpt(table: GptTable, mbrBootCode?: Uint8Array): EncodedGpt {
  validateGpt(table);
  const { firstUsable, lastUsable } = usableRange(table.sectorCount);
  const lastLba = table.sectorCount - 1;
  const entries = Buffer.alloc(ARRAY_SECTORS * SECTOR);
  for (const [index, p] of table.partitions.entries()) {
    const entry = entries.subarray(index * ENTRY_SIZE, (index + 1) * ENTRY_SIZE);
    guidToBytes(partitionTypeGuid(p.type)).copy(entry, 0);
    guidToBytes(p.guid).copy(entry, 16);
    entry.writeBigUInt64LE(BigInt(p.firstLba), 32);
    entry.writeBigUInt64LE(BigInt(p.lastLba), 40);
    entry.writeBigUInt64LE(
      (p.attributeBits ?? []).reduce((flags, bit) => flags | (1n << BigInt(bit)), 0n),
      48,
    );
    entry.write(p.name, 56, 72, 'utf16le');
  }
  const entriesCrc = crc32(entries);
  const header = (myLba: number, alternateLba: number, entriesLba: number): Buffer => {
    const sector = Buffer.alloc(SECTOR);
    sector.write('EFI PART', 0, 'latin1');
    sector.writeUInt32LE(0x00010000, 8);
    sector.writeUInt32LE(HEADER_SIZE, 12);
    sector.writeBigUInt64LE(BigInt(myLba), 24);
    sector.writeBigUInt64LE(BigInt(alternateLba), 32);
    sector.writeBigUInt64LE(BigInt(firstUsable), 40);
    sector.writeBigUInt64LE(BigInt(lastUsable), 48);
    guidToBytes(table.diskGuid).copy(sector, 56);
    sector.writeBigUInt64LE(BigInt(entriesLba), 72);
    sector.writeUInt32LE(GPT_ENTRY_COUNT, 80);
    sector.writeUInt32LE(ENTRY_SIZE, 84);
    sector.writeUInt32LE(entriesCrc, 88);
    sector.writeUInt32LE(crc32(sector.subarray(0, HEADER_SIZE)), 16);
    return sector;
  };
  const head = Buffer.concat([protectiveMbr(table.sectorCount, mbrBootCode), header(1, lastLba, 2), entries]);
  const tail = Buffer.concat([entries, header(lastLba, 1, lastLba - ARRAY_SECTORS)]);
  return { head, tail, tailOffset: (table.sectorCount - GPT_TAIL_SECTORS) * SECTOR };
}

/** One 0xEE partition covering the disk (capped at 2^32-1 sectors), as the UEFI spec requires. */
function protectiveMbr(sectorCount: number, bootCode: Uint8Array | undefined): Buffer {
  const mbr = Buffer.alloc(SECTOR);
  if (bootCode) {
    if (bootCode.length > 440)
      throw new InvalidDiskOptionsError(`MBR boot code is at most 440 bytes, got ${bootCode.length}`, {
        value: bootCode.length,
      });
    mbr.set(bootCode, 0);
  }
  const entry = 446;
  mbr.set([0x00, 0x00, 0x02, 0x00, 0xee, 0xff, 0xff, 0xff], entry);
  mbr.writeUInt32LE(1, entry + 8);
  mbr.writeUInt32LE(Math.min(sectorCount - 1, 0xffffffff), entry + 12);
  mbr.writeUInt16LE(0xaa55, 510);
  return mbr;
}
