/** What a partition's first bytes say it holds. */
export interface FilesystemInfo {
  type: 'ext4' | 'ext2/3' | 'vfat' | 'swap' | 'squashfs' | 'erofs';
  uuid: string | undefined;
  label: string | undefined;
}

const text = (bytes: Buffer) => bytes.toString('latin1').replace(/[\0 ]+$/, '');

/** Recognises ext2/3/4, FAT, swap, squashfs and EROFS from the first 8 KiB of a partition. */
export function probeFilesystem(head: Buffer): FilesystemInfo | undefined {
  if (head.length >= 2048 && head.readUInt16LE(1024 + 0x38) === 0xef53) {
    const sb = head.subarray(1024);
    const incompat = sb.readUInt32LE(0x60);
    const hex = sb.subarray(0x68, 0x78).toString('hex');
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    // INCOMPAT_EXTENTS (0x40) or INCOMPAT_64BIT (0x80): only ext4 sets them.
    return { type: incompat & 0xc0 ? 'ext4' : 'ext2/3', uuid, label: text(sb.subarray(0x78, 0x88)) || undefined };
  }
  if (head.length >= 512 && head.readUInt16LE(510) === 0xaa55) {
    const fat32 = head.toString('latin1', 82, 87) === 'FAT32';
    const fat16 = head.toString('latin1', 54, 57) === 'FAT';
    if (fat32 || fat16) {
      const serial = head
        .readUInt32LE(fat32 ? 67 : 39)
        .toString(16)
        .padStart(8, '0')
        .toUpperCase();
      const label = text(head.subarray(fat32 ? 71 : 43, fat32 ? 82 : 54));
      return {
        type: 'vfat',
        uuid: `${serial.slice(0, 4)}-${serial.slice(4)}`,
        label: label === 'NO NAME' || label === '' ? undefined : label,
      };
    }
  }
  if (head.length >= 4096 && head.toString('latin1', 4086, 4096) === 'SWAPSPACE2') {
    const hex = head.subarray(1024 + 12, 1024 + 28).toString('hex');
    return {
      type: 'swap',
      uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
      label: text(head.subarray(1024 + 28, 1024 + 44)) || undefined,
    };
  }
  if (head.toString('latin1', 0, 4) === 'hsqs') return { type: 'squashfs', uuid: undefined, label: undefined };
  if (head.length >= 1028 && head.readUInt32LE(1024) === 0xe0f5e1e2)
    return { type: 'erofs', uuid: undefined, label: undefined };
  return undefined;
}
