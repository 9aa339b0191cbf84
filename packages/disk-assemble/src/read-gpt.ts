import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { NotAGptDiskError } from './errors.js';
import { SECTOR, type GptPartition, type GptTable } from './gpt.js';
import { bytesToGuid } from './guid.js';
import { partitionTypeName } from './partition-types.js';

export interface ReadGptPartition extends GptPartition {
  index: number;
  /** The type's name from `partitionTypes`, if known. */
  typeName: string | undefined;
  start: number;
  size: number;
}

export interface ReadGptTable extends GptTable {
  partitions: readonly ReadGptPartition[];
  /** Whether the backup header and array match the primary ones. */
  backupValid: boolean;
}

/** Reads and checks (signature, CRC32s) the primary GPT of a raw image, and whether the backup agrees. */
export async function readGpt(path: string): Promise<ReadGptTable> {
  const handle = await open(path, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const read = async (offset: number, length: number) => {
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, offset);
      return buffer;
    };
    const primary = await readHeader(path, read, 1);
    const sectorCount = Math.floor(fileSize / SECTOR);
    let backupValid = false;
    try {
      const backup = await readHeader(path, read, primary.alternateLba);
      backupValid =
        backup.alternateLba === 1 &&
        backup.entriesCrc === primary.entriesCrc &&
        backup.diskGuid === primary.diskGuid &&
        primary.alternateLba === sectorCount - 1;
    } catch {
      backupValid = false;
    }
    const partitions: ReadGptPartition[] = [];
    for (let index = 0; index < primary.entryCount; index++) {
      const entry = primary.entries.subarray(index * primary.entrySize, index * primary.entrySize + 128);
      if (entry.subarray(0, 16).every((b) => b === 0)) continue;
      const type = bytesToGuid(entry.subarray(0, 16));
      const firstLba = Number(entry.readBigUInt64LE(32));
      const lastLba = Number(entry.readBigUInt64LE(40));
      const flags = entry.readBigUInt64LE(48);
      const attributeBits = [...Array(64).keys()].filter((bit) => (flags >> BigInt(bit)) & 1n);
      const name = entry.subarray(56, 128).toString('utf16le').replace(/\0.*$/s, '');
      partitions.push({
        index: index + 1,
        name,
        type,
        typeName: partitionTypeName(type),
        guid: bytesToGuid(entry.subarray(16, 32)),
        firstLba,
        lastLba,
        start: firstLba * SECTOR,
        size: (lastLba - firstLba + 1) * SECTOR,
        ...(attributeBits.length ? { attributeBits } : {}),
      });
    }
    return { diskGuid: primary.diskGuid, sectorCount, partitions, backupValid };
  } finally {
    await handle.close();
  }
}

async function readHeader(path: string, read: (offset: number, length: number) => Promise<Buffer>, lba: number) {
  const sector = await read(lba * SECTOR, SECTOR);
  if (sector.toString('latin1', 0, 8) !== 'EFI PART')
    throw new NotAGptDiskError(path, `no "EFI PART" signature at sector ${lba}`);
  const headerSize = sector.readUInt32LE(12);
  if (headerSize < 92 || headerSize > SECTOR) throw new NotAGptDiskError(path, `header size ${headerSize}`);
  const copy = Buffer.from(sector.subarray(0, headerSize));
  const headerCrc = copy.readUInt32LE(16);
  copy.writeUInt32LE(0, 16);
  if (crc32(copy) !== headerCrc) throw new NotAGptDiskError(path, `header CRC32 mismatch at sector ${lba}`);
  const entriesLba = Number(sector.readBigUInt64LE(72));
  const entryCount = sector.readUInt32LE(80);
  const entrySize = sector.readUInt32LE(84);
  if (entrySize < 128 || entryCount > 4096)
    throw new NotAGptDiskError(path, `entry size ${entrySize}, count ${entryCount}`);
  const entries = await read(entriesLba * SECTOR, entryCount * entrySize);
  const entriesCrc = sector.readUInt32LE(88);
  if (crc32(entries) !== entriesCrc)
    throw new NotAGptDiskError(path, `partition entry array CRC32 mismatch (header at sector ${lba})`);
  return {
    alternateLba: Number(sector.readBigUInt64LE(32)),
    diskGuid: bytesToGuid(sector.subarray(56, 72)),
    entries,
    entryCount,
    entrySize,
    entriesCrc,
  };
}
