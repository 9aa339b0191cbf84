import { compareVersions, findTool, knownTools, type FoundTool } from '@distroforge/core';

/** Oldest squashfs-tools we support: 4.5 has `-pf` with m/c/b/i/s and timestamped (D/C/B/S/I) definitions. */
export const minSquashfsTools = '4.5';
/** squashfs-tools 4.6 added xattr pseudo definitions (`x`) and `-xattrs-include`, needed for file caps. */
export const xattrPseudoVersion = '4.6';

export interface SquashfsTools extends FoundTool {
  /** `path x name=value` pseudo definitions and `-xattrs-include` (4.6). */
  xattrPseudo: boolean;
  /**
   * `-percentage` (4.6): a percentage every tick. 4.5 only has the bar, which on a pipe is
   * redrawn only on ticks where the block count is a multiple of 100, and at the end.
   */
  percentage: boolean;
}

export async function findMksquashfs(): Promise<SquashfsTools> {
  const tool = await findTool({ ...knownTools.mksquashfs, minVersion: minSquashfsTools });
  const is46 = tool.version !== 'unknown' && compareVersions(tool.version, xattrPseudoVersion) >= 0;
  return { ...tool, xattrPseudo: is46, percentage: is46 };
}

export function findUnsquashfs(): Promise<FoundTool> {
  return findTool({ ...knownTools.unsquashfs, minVersion: minSquashfsTools });
}

export function findMkfsErofs(): Promise<FoundTool> {
  return findTool(knownTools.mkfsErofs);
}
