import { findTool, knownTools, type FoundTool } from '@distroforge/core';
import { dirname, join } from 'node:path';

/** The external tools an ISO build uses, each found once (cached by core) with its install hint. */
export interface IsoTools {
  xorriso: FoundTool;
  grubMkimage: FoundTool;
  mkfsVfat: FoundTool;
  /** mtools' commands live side by side; `mcopy` is the one we look for. */
  mcopy: FoundTool;
  mmd: string;
  objcopy: FoundTool;
}

export const objcopyTool = { names: ['objcopy'], install: 'apt-get install binutils' } as const;

export function findXorriso(): Promise<FoundTool> {
  return findTool(knownTools.xorriso);
}

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
