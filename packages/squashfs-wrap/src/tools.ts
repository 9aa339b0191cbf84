import { compareVersions, findTool, knownTools, type FoundTool } from '@distroforge/core';

/** Oldest squashfs-tools we support: 4.5 has `-pf` with m/c/b/i/s and timestamped (D/C/B/S/I) definitions. */
export const minSquashfsTools = '4.5';
/** squashfs-tools 4.6 added xattr pseudo definitions (`x`) and `-xattrs-include`, needed for file caps. */
export const xattrPseudoVersion = '4.6';

export interface SquashfsTools extends FoundTool {
  /** `path x name=value` pseudo definitions and `-xattrs-include`. */
  xattrPseudo: boolean;
}

export async function findMksquashfs(): Promise<SquashfsTools> {
  const tool = await findTool({ ...knownTools.mksquashfs, minVersion: minSquashfsTools });
  return { ...tool, xattrPseudo: tool.version !== 'unknown' && compareVersions(tool.version, xattrPseudoVersion) >= 0 };
}

export function findUnsquashfs(): Promise<FoundTool> {
  return findTool({ ...knownTools.unsquashfs, minVersion: minSquashfsTools });
}

export function findMkfsErofs(): Promise<FoundTool> {
  return findTool(knownTools.mkfsErofs);
}
