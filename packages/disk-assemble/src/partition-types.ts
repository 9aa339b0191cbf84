/**
 * Partition type GUIDs from the UAPI Discoverable Partitions Specification (and the UEFI spec for
 * the ESP). Names are what the options accept; any other GUID may be given verbatim.
 */
export const partitionTypes = {
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  'bios-boot': '21686148-6449-6E6F-744E-656564454649',
  'root-x86-64': '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709',
  'linux-data': '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  swap: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F',
  home: '933AC7E1-2EB4-4F13-B844-0E14E2AEF915',
  var: '4D21B016-B534-45C2-A9FB-5C16E091FD2D',
} as const;

export type PartitionTypeName = keyof typeof partitionTypes;

/** The type GUID for a name from `partitionTypes`, or the GUID itself (upper-cased). */
export function partitionTypeGuid(type: string): string {
  return (partitionTypes as Record<string, string>)[type] ?? type.toUpperCase();
}

/** The name of a known type GUID, if it has one. */
export function partitionTypeName(guid: string): PartitionTypeName | undefined {
  const upper = guid.toUpperCase();
  return (Object.keys(partitionTypes) as PartitionTypeName[]).find((name) => partitionTypes[name] === upper);
}
