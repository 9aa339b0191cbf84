/** Types of generate.mjs (imported by the rootfs-bootstrap tests). */
export interface PacmanTestPackage {
  repo: 'core' | 'extra';
  name: string;
  version: string;
  arch?: string;
  depends?: string[];
  provides?: string[];
  conflicts?: string[];
  replaces?: string[];
  groups?: string[];
  /** Files whose MD5 pacman records (`backup`). */
  backup?: string[];
  /** The package's `.INSTALL` script. */
  install?: string;
  /** The package's `.CHANGELOG`. */
  changelog?: string;
  /** The package file's compression (default zst). */
  compression?: 'zst' | 'xz' | 'gz';
  files?: Record<
    string,
    | string
    | { link: string }
    | { content: string; mode: number; uid?: number; gid?: number }
    | { host: string; mode: number }
    | { dir: true; mode: number; uid?: number; gid?: number }
  >;
}
export interface PacmanTestRepo {
  dir: string;
  /** A pacman.conf listing the repositories in order, SigLevel=Never. */
  config: string;
  repos: { name: string; dir: string; db: string }[];
  packages: PacmanTestPackage[];
  /** The bootable set (core): `pacman -S base linux` gives a root that boots to a busybox getty on ttyS0. */
  boot: { request: string[]; kernelVersion: string; busyboxVersion: string; hostname: string; rcsMarker: string };
}
export declare const BUILD_DATE: number;
export declare const REPOS: string[];
export declare const PACKAGES: PacmanTestPackage[];
export declare const BOOT: { hostname: string; id: string; rcsMarker: string; request: string[] };
export declare const BOOT_MODULES: string[];
export declare function pacmanConf(out: string): string;
export declare function generatePacmanTestRepo(
  outDir: string,
  options?: { log?: (line: string) => void },
): Promise<PacmanTestRepo>;
