import { open } from 'node:fs/promises';

/**
 * True when a PE image (an EFI-stub kernel, a bootloader) carries an Authenticode signature: its
 * certificate table (data directory 4) is non-empty. Does not verify the signature; the firmware does.
 */
export async function hasAuthenticodeSignature(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const image = head.subarray(0, bytesRead);
    if (image.length < 0x40 || image.toString('latin1', 0, 2) !== 'MZ') return false;
    const pe = image.readUInt32LE(0x3c);
    if (pe + 24 + 2 > image.length || image.toString('latin1', pe, pe + 4) !== 'PE\0\0') return false;
    const optional = pe + 24;
    const magic = image.readUInt16LE(optional);
    const directories = optional + (magic === 0x20b ? 112 : 96);
    const securityEntry = directories + 4 * 8;
    if (securityEntry + 8 > image.length) return false;
    const numberOfDirectories = image.readUInt32LE(directories - 4);
    return numberOfDirectories > 4 && image.readUInt32LE(securityEntry + 4) > 0;
  } finally {
    await handle.close();
  }
}
