/**
 * One package as a root's own package database records it, before its files are matched against
 * the tree: what each format's reader (dpkg, rpm, pacman) returns.
 */
export interface DatabasePackage {
  name: string;
  version: string;
  architecture: string;
  license?: string;
  sourcePackage?: string;
  supplier?: string;
  /** Whether `supplier` names a person (Maintainer, Packager) or an organisation (RPM Vendor). */
  supplierType?: 'person' | 'organization';
  /** rpm's epoch, kept apart for the PURL's `epoch` qualifier (the version holds it as `E:`). */
  epoch?: string;
  /** The paths the database says the package installed, absolute, as recorded (before symlinks). */
  paths: string[];
}
