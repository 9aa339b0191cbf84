import { findTool, knownTools, type FoundTool } from '@distroforge/core';

/** xorriso, found once (cached by core) with its install hint; the boot pieces' tools are boot-loader's. */
export function findXorriso(): Promise<FoundTool> {
  return findTool(knownTools.xorriso);
}
