import { findTool, knownTools, type FoundTool } from '@distroforge/core';
import { dirname, join } from 'node:path';

/** objcopy reads the SBAT sections of shim and GRUB. */
export const objcopyTool = { names: ['objcopy'], install: 'apt-get install binutils' } as const;

export function findGrubMkimage(): Promise<FoundTool> {
  return findTool(knownTools.grubMkimage);
}

export function findObjcopy(): Promise<FoundTool> {
  return findTool(objcopyTool);
}

/** mkfs.vfat and mtools, for FAT images built without loop mounts. */
export async function findFatTools(): Promise<{ mkfsVfat: FoundTool; mcopy: FoundTool; mmd: string }> {
  const [mkfsVfat, mcopy] = await Promise.all([findTool(knownTools.mkfsVfat), findTool(knownTools.mtools)]);
  return { mkfsVfat, mcopy, mmd: join(dirname(mcopy.path), 'mmd') };
}
