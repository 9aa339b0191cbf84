/** What names and describes a package, as its database declares it. */
export interface PackageIdentity {
  name: string;
  version: string;
  architecture: string;
  /** As the package declares it: RPM License, pacman %LICENSE%, Debian's DEP-5 copyright License fields. */
  license?: string;
  sourcePackage?: string;
  /** Maintainer (Debian), Vendor else Packager (RPM), Packager (pacman). */
  supplier?: string;
  /** Whether `supplier` names a person (Maintainer, Packager) or an organisation (RPM Vendor). */
  supplierType?: 'person' | 'organization';
}

/**
 * One package as a root's own package database records it, before its files are matched against
 * the tree: what each format's reader (dpkg, rpm, pacman) returns.
 */
export interface DatabasePackage extends PackageIdentity {
  /** rpm's epoch, kept apart for the PURL's `epoch` qualifier (the version holds it as `E:`). */
  epoch?: string;
  /** The paths the database says the package installed, absolute, as recorded (before symlinks). */
  paths: string[];
}
