import { DiskTooSmallError, InvalidDiskOptionsError } from './errors.js';
import { SECTOR, usableRange, type GptPartition, type GptTable } from './gpt.js';
import { deriveGuid } from './guid.js';

export const MiB = 1024 * 1024;

/** A partition to place: `size` in bytes (rounded up to the alignment) or `'rest'` for what is left. */
export interface PartitionRequest {
  name: string;
  type: string;
  size: number | 'rest';
  /** Default: derived from the seed and the name. */
  guid?: string;
  attributeBits?: readonly number[];
}

export interface LayoutOptions {
  /** Disk size in bytes (a multiple of 512); default: the partitions plus the GPT, aligned. */
  diskSize?: number;
  /** Seed of the disk and partition GUIDs. */
  seed: string;
  /** Partition start alignment in bytes (default 1 MiB, what fdisk and parted use). */
  alignment?: number;
}

/**
 * Places partitions one after the other from the first aligned sector, each starting on the
 * alignment boundary, GUIDs derived from the seed. At most one `'rest'` partition, which takes the
 * space up to the backup GPT (rounded down to the alignment) and requires `diskSize`.
 */
export function layoutPartitions(requests: readonly PartitionRequest[], options: LayoutOptions): GptTable {
  const align = options.alignment ?? MiB;
  if (!Number.isInteger(align) || align % SECTOR !== 0 || align <= 0)
    throw new InvalidDiskOptionsError(`alignment must be a positive multiple of 512: ${align}`, { value: align });
  const alignSectors = align / SECTOR;
  const restCount = requests.filter((r) => r.size === 'rest').length;
  if (restCount > 1)
    throw new InvalidDiskOptionsError('only one partition may take the rest of the disk', {
      value: requests.map((r) => r.name),
    });
  if (restCount === 1 && options.diskSize === undefined)
    throw new InvalidDiskOptionsError('a partition of size "rest" needs diskSize', { value: 'diskSize' });
  const names = new Set(requests.map((r) => r.name));
  if (names.size !== requests.length)
    throw new InvalidDiskOptionsError('partition names must be unique', { value: requests.map((r) => r.name) });
  for (const r of requests) {
    if (r.size !== 'rest' && (!Number.isSafeInteger(r.size) || r.size <= 0))
      throw new InvalidDiskOptionsError(`partition ${r.name}: size must be a positive integer`, { value: r.size });
  }
  const roundUp = (sectors: number) => Math.ceil(sectors / alignSectors) * alignSectors;
  const fixedSectors = requests.reduce(
    (sum, r) => sum + (r.size === 'rest' ? 0 : roundUp(Math.ceil(r.size / SECTOR))),
    0,
  );
  const firstStart = roundUp(usableRange(Number.MAX_SAFE_INTEGER).firstUsable);
  // Minimum disk: aligned partitions + the backup GPT rounded up so the end stays aligned too.
  const minimumSectors = firstStart + fixedSectors + (restCount ? alignSectors : 0) + alignSectors;
  if (options.diskSize !== undefined && (!Number.isSafeInteger(options.diskSize) || options.diskSize % SECTOR !== 0)) {
    throw new InvalidDiskOptionsError(`diskSize must be a multiple of 512 bytes: ${options.diskSize}`, {
      value: options.diskSize,
    });
  }
  const sectorCount = options.diskSize === undefined ? minimumSectors : options.diskSize / SECTOR;
  if (sectorCount < minimumSectors)
    throw new DiskTooSmallError('the partition layout', sectorCount * SECTOR, minimumSectors * SECTOR);
  const { lastUsable } = usableRange(sectorCount);
  const restEnd = Math.floor((lastUsable + 1) / alignSectors) * alignSectors;
  const restSectors = restEnd - firstStart - fixedSectors;
  const partitions: GptPartition[] = [];
  let next = firstStart;
  for (const r of requests) {
    const sectors = r.size === 'rest' ? restSectors : roundUp(Math.ceil(r.size / SECTOR));
    partitions.push({
      name: r.name,
      type: r.type,
      guid: r.guid?.toUpperCase() ?? deriveGuid(options.seed, `partition:${r.name}`),
      firstLba: next,
      lastLba: next + sectors - 1,
      ...(r.attributeBits ? { attributeBits: [...r.attributeBits] } : {}),
    });
    next += sectors;
  }
  return { diskGuid: deriveGuid(options.seed, 'disk'), sectorCount, partitions };
}
