import type { ResolvedRelease } from './apt/source.js';
import type { AptRepository } from './apt/sources-list.js';

/** One package of a resolved root filesystem (the lock-file entry). */
export interface ResolvedRootfsPackage {
  name: string;
  version: string;
  architecture: string;
  essential: boolean;
  priority: string;
  /** Package file size in bytes. */
  size: number;
  installedSize: number;
  sha256: string;
  /** Suite it comes from. */
  origin: string;
  /** Why it is installed: requested name (or local file) -> ... -> this package. */
  chain: string[];
  /** The local package file it is installed from (option `localPackages`; `origin` is then `local`). */
  localFile?: string;
}

/** What a dry run returns. */
export interface ResolveResult {
  suite: string;
  variant: string;
  architecture: string;
  /**
   * Whether /bin, /sbin, /lib (and the architecture's other library directories) are symlinks into
   * /usr made before the first package, with `usr-is-merged` installed instead of `usrmerge`
   * (debootstrap's layout; see `usesMergedUsrLinks`).
   */
  mergedUsr: boolean;
  repositories: AptRepository[];
  /** The Release of each repository, in the order of `repositories`. */
  releases: ResolvedRelease[];
  /** Sorted by name. */
  packages: ResolvedRootfsPackage[];
  totalSize: number;
  totalInstalledSize: number;
  timings: { indexMs: number; resolveMs: number };
}
