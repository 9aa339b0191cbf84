import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { SECTOR, encodeGpt, type GptTable } from './gpt.js';

export interface WriteGptOptions {
  /** Up to 440 bytes of MBR boot code (GRUB's boot.img for BIOS boot). */
  mbrBootCode?: Uint8Array;
}

/**
 * Writes the protective MBR and the primary and backup GPT into a raw image file, creating it or
 * resizing it (growing sparsely) to the table's disk size. Partition contents are left as they are.
 */
export async function writeGpt(path: string, table: GptTable, options: WriteGptOptions = {}): Promise<void> {
  const { head, tail, tailOffset } = encodeGpt(table, options.mbrBootCode);
  const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    const size = table.sectorCount * SECTOR;
    if ((await handle.stat()).size !== size) await handle.truncate(size);
    await handle.write(head, 0, head.length, 0);
    await handle.write(tail, 0, tail.length, tailOffset);
  } finally {
    await handle.close();
  }
}
