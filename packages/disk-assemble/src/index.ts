export { assembleDisk, type AssembledDisk, type AssembleDiskPrepared } from './assemble-disk.js';
export {
  assembleDiskOptionsSchema,
  ext4RootSchema,
  extraPartitionSchema,
  imageRootSchema,
  type AssembleDiskOptions,
  type Ext4RootOptions,
  type ImageRootOptions,
  type NormalisedDiskOptions,
} from './options.js';
export { buildExt4Image, ext4SizeFor, type BuildExt4ImageOptions, type Ext4Image } from './ext4-image.js';
export { writeGpt, type WriteGptOptions } from './write-gpt.js';
export {
  encodeGpt,
  validateGpt,
  usableRange,
  SECTOR,
  type GptTable,
  type GptPartition,
  type EncodedGpt,
} from './gpt.js';
export { layoutPartitions, type PartitionRequest, type LayoutOptions } from './layout.js';
export { readGpt, type ReadGptTable, type ReadGptPartition } from './read-gpt.js';
export { deriveGuid, guidToBytes, bytesToGuid } from './guid.js';
export { partitionTypes, partitionTypeGuid, partitionTypeName, type PartitionTypeName } from './partition-types.js';
export {
  diskErrorCodes,
  DiskError,
  type DiskErrorCode,
  InvalidDiskOptionsError,
  PartitionLayoutError,
  DiskTooSmallError,
  NotAGptDiskError,
  DiskInputMissingError,
  GrubImageLayoutError,
  Ext4LayoutError,
} from './errors.js';
export { inspectDisk, type DiskInspection } from './inspect-disk.js';
export { probeFilesystem, type FilesystemInfo } from './probe-filesystem.js';
export { prepareBiosBoot } from './bios-boot.js';
export { formatInspection } from './format-inspection.js';
export { swapHeader } from './swap-header.js';
export { buildExt4FromBase, type Ext4FromBaseOptions, type Ext4FromBase, type Ext4BaseTree } from './ext4-from-base.js';
export { ext4Delta, type Ext4Delta } from './ext4-delta.js';
export {
  diffRootTrees,
  byPath,
  type RootTreeDiff,
  type RootNode,
  type RootTreeSide,
  type RootTreeDiffOptions,
} from './tree-diff.js';
export { walkTree, type TreeEntry, type TreeWalker } from './walk-tree.js';
