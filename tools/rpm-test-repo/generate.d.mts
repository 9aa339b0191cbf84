/** Types of generate.mjs (imported by the rootfs-bootstrap tests). */
export declare const BOOT_MODULES: string[];
export declare const MINIMAL_GROUP: string[];
export declare const ROCKY_LIKE: { hostname: string; id: string; rcsMarker: string };
export interface RpmTestRepo {
  /** The repository folder (flat .rpm files, comps.xml, repodata/). */
  dir: string;
  /** Debian kernel version the `kernel` package carries, e.g. `6.1.0-56-amd64`. */
  kernelVersion: string;
  busyboxVersion: string;
  minimalGroup: string[];
}
export declare function generateRpmTestRepo(
  outDir: string,
  options?: { log?: (line: string) => void },
): Promise<RpmTestRepo>;
