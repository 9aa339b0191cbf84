/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of ext4's metadata_csum. */
const table = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * Continues a CRC-32C over `bytes` from `crc` without the usual pre/post inversion, as
 * e2fsprogs' ext2fs_crc32c_le and the kernel's crc32c() do (ext4 starts from ~0 and never inverts).
 */
export function crc32cUpdate(crc: number, bytes: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (c >>> 8) ^ table[(c ^ bytes[i]!) & 0xff]!;
  return c >>> 0;
}
