import type { ImageInventory } from '../inventory/image-inventory.js';

/** What an SBOM describes: the image a profile builds, its packages, and when (SOURCE_DATE_EPOCH). */
export interface SbomSubject {
  /** The profile's name: the image's name in the document. */
  name: string;
  sourceDateEpoch: number;
  inventory: ImageInventory;
  /** The version of distroforge that wrote the document (its creator / tool). */
  toolVersion: string;
}
