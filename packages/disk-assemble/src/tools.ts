import { findTool, knownTools, type FoundTool } from '@distroforge/core';

const e2fsprogs = 'apt-get install e2fsprogs';
export const debugfsTool = { names: ['debugfs'], install: e2fsprogs, versionArgs: ['-V'] } as const;
export const fsckExt4Tool = { names: ['fsck.ext4', 'e2fsck'], install: e2fsprogs, versionArgs: ['-V'] } as const;

export function findMkfsExt4(): Promise<FoundTool> {
  return findTool(knownTools.mkfsExt4);
}
export function findDebugfs(): Promise<FoundTool> {
  return findTool(debugfsTool);
}
export function findQemuImg(): Promise<FoundTool> {
  return findTool(knownTools.qemuImg);
}
