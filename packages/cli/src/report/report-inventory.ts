/**
 * What the report needs of an image's inventory (inventory/image-inventory.ts reads it from the
 * root's own package database): each package with its metadata and files, the files no package
 * owns, and the root's total. Structural, so the report can be made from a saved inventory too.
 */
export interface ReportInventory {
  format: string;
  packages: ReportPackage[];
  unowned: readonly ReportFile[];
  totalBytes: number;
  /** Sampled by the inventory stage (`sampleCompressibility`); missing in inventories kept by older versions. */
  compressibility?: Compressibility | undefined;
}

/** How well each package's files compress (compressed / original bytes of a sample), and the unowned files'. */
export interface Compressibility {
  packages: Record<string, number>;
  unowned: number;
}

export interface ReportPackage {
  name: string;
  version: string;
  architecture: string;
  license?: string | undefined;
  sourcePackage?: string | undefined;
  supplier?: string | undefined;
  purl?: string | undefined;
  sha256?: string | undefined;
  installedBytes: number;
  files: readonly ReportFile[];
}

export interface ReportFile {
  /** Absolute inside the root (`/usr/bin/ls`). */
  path: string;
  bytes: number;
}
