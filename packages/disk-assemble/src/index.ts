export { writeGpt, type WriteGptOptions } from './write-gpt.js';
export { encodeGpt, validateGpt, usableRange, SECTOR, type GptTable, type GptPartition, type EncodedGpt } from './gpt.js';
export { layoutPartitions, type PartitionRequest, type LayoutOptions } from './layout.js';
export { readGpt, type ReadGptTable, type ReadGptPartition } from './read-gpt.js';
export { deriveGuid, guidToBytes, bytesToGuid } from './guid.js';
export { partitionTypes, partitionTypeGuid, partitionTypeName, type PartitionTypeName } from './partition-types.js';
export { InvalidDiskOptionsError, PartitionLayoutError, DiskTooSmallError, NotAGptDiskError, DiskInputMissingError } from './errors.js';
