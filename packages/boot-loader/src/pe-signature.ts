import { open } from 'node:fs/promises';
import { parsePeHeaders } from './pe-image.js';

/**
 * True when a PE image (an EFI-stub kernel, a bootloader) carries an Authenticode signature: its
 * certificate table (data directory 4) is non-empty. Does not verify the signature; the firmware does.
 */
export async function hasAuthenticodeSignature(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return (parsePeHeaders(head.subarray(0, bytesRead))?.certificateTable.size ?? 0) > 0;
  } finally {
    await handle.close();
  }
}
