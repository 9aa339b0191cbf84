import { readFile } from 'node:fs/promises';
import { GrubImageLayoutError } from './errors.js';
import { SECTOR } from './gpt.js';

/** Offsets in GRUB's boot.img (grub-core/boot/i386/pc/boot.S, include/grub/i386/pc/boot.h). */
const KERNEL_SECTOR = 0x5c;
const BOOT_DRIVE = 0x64;
const DRIVE_CHECK = 0x66;
/** The first block list of diskboot.img (the first sector of core.img) sits at its end. */
const BLOCKLIST = SECTOR - 12;
const KERNEL_SEGMENT = 0x820;

/**
 * What grub-install (grub-setup) does for a GPT disk with a BIOS boot partition, in-process:
 * boot.img's jump to its "buggy BIOS" drive check becomes NOPs (we boot from a hard disk), the
 * boot drive is the one the BIOS passes (0xff) and the kernel sector points at core.img's first
 * sector; core.img's first block list then covers the rest of core.img, which lies contiguously
 * in the partition. Returns the 440 bytes of MBR boot code and the patched core.img.
 */
export async function prepareBiosBoot(
  bootImgPath: string,
  coreImgPath: string,
  coreLba: number,
  partitionSectors: number,
): Promise<{ mbrBootCode: Buffer; coreImage: Buffer }> {
  const boot = await readFile(bootImgPath);
  if (boot.length !== SECTOR || boot.readUInt16LE(510) !== 0xaa55)
    throw new GrubImageLayoutError(`boot.img is not a 512-byte boot sector`, bootImgPath);
  const core = Buffer.from(await readFile(coreImgPath));
  const sectors = Math.ceil(core.length / SECTOR);
  if (sectors > partitionSectors)
    throw new GrubImageLayoutError(
      `core.img needs ${sectors} sectors, the BIOS boot partition has ${partitionSectors}`,
      coreImgPath,
    );
  const length = core.readUInt16LE(BLOCKLIST + 8);
  const segment = core.readUInt16LE(BLOCKLIST + 10);
  if (length !== sectors - 1 || segment !== KERNEL_SEGMENT) {
    throw new GrubImageLayoutError(
      `core.img's block list says ${length} sectors at segment 0x${segment.toString(16)}, expected ${sectors - 1} at 0x820`,
      coreImgPath,
    );
  }
  core.writeBigUInt64LE(BigInt(coreLba + 1), BLOCKLIST);
  const mbr = Buffer.from(boot.subarray(0, 440));
  mbr.writeBigUInt64LE(BigInt(coreLba), KERNEL_SECTOR);
  mbr[BOOT_DRIVE] = 0xff;
  mbr[DRIVE_CHECK] = 0x90;
  mbr[DRIVE_CHECK + 1] = 0x90;
  const padded = Buffer.alloc(sectors * SECTOR);
  core.copy(padded);
  return { mbrBootCode: mbr, coreImage: padded };
}
