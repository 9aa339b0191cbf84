import { InvalidDiskOptionsError } from './errors.js';

const PAGE = 4096;

/**
 * The first page of a Linux swap area, as `mkswap` writes it (version 1, no bad pages): the
 * kernel and blkid read the size, UUID and label from it. Written in-process so it is deterministic.
 */
export function swapHeader(size: number, uuid: string, label = ''): Buffer {
  const pages = Math.floor(size / PAGE);
  if (pages < 10)
    throw new InvalidDiskOptionsError(`a swap area needs at least 10 pages of 4 KiB, got ${size} bytes`, {
      value: size,
    });
  if (Buffer.byteLength(label) > 16)
    throw new InvalidDiskOptionsError(`swap label longer than 16 bytes: ${label}`, { value: label });
  const page = Buffer.alloc(PAGE);
  page.writeUInt32LE(1, 1024);
  page.writeUInt32LE(pages - 1, 1028);
  page.writeUInt32LE(0, 1032);
  Buffer.from(uuid.replace(/-/g, ''), 'hex').copy(page, 1036);
  page.write(label, 1052, 16, 'utf8');
  page.write('SWAPSPACE2', PAGE - 10, 'latin1');
  return page;
}
