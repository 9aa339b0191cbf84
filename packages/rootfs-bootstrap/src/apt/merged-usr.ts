import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The package that states a root's /usr is merged without converting anything. Where a suite has
 * it (Debian bookworm and later), init-system-helpers depends on `usrmerge | usr-is-merged`.
 */
export const MERGED_USR_PACKAGE = 'usr-is-merged';

/**
 * Whether a root is set up the way debootstrap (and so Debian's installer) sets it up: the
 * top-level library and program directories made as symlinks into /usr before the first package
 * is unpacked, and `usr-is-merged` standing for `usrmerge`. Otherwise `usrmerge`, the first
 * alternative, is installed, and its postinst copies /bin, /sbin and /lib into /usr file by file;
 * it also pulls perl and three perl libraries into every root (8 packages, ~45 MB installed).
 * debian-live's root bootstraps ~1 s faster without them (10.4 s against 11.0 s).
 *
 * Not when the suite has no `usr-is-merged` (older suites keep their layout), for the `extract`
 * variant (no base system), or when the request names `usrmerge` (in `include` or as a local
 * package file) or excludes `usr-is-merged`: the caller chose the package's conversion.
 */
export function usesMergedUsrLinks(request: {
  variant: string;
  include: readonly string[];
  exclude: readonly string[];
  available: (name: string) => boolean;
}): boolean {
  return (
    request.variant !== 'extract' &&
    !request.include.includes('usrmerge') &&
    !request.exclude.includes(MERGED_USR_PACKAGE) &&
    request.available(MERGED_USR_PACKAGE)
  );
}

/**
 * The directories a merged root links into /usr, per Debian architecture: bin, sbin and lib, and
 * the architecture's other library directories (the list debootstrap's merged-/usr setup uses).
 */
export function mergedUsrDirectories(architecture: string): string[] {
  const libraries: Record<string, readonly string[]> = {
    amd64: ['lib32', 'lib64', 'libx32'],
    i386: ['lib64', 'libx32'],
    mips: ['lib32', 'lib64'],
    mipsel: ['lib32', 'lib64'],
    mips64el: ['lib32', 'lib64', 'libo32'],
    powerpc: ['lib64'],
    ppc64: ['lib32', 'lib64'],
    ppc64el: ['lib64'],
    s390x: ['lib32'],
    sparc64: ['lib32', 'lib64'],
    x32: ['lib32', 'lib64', 'libx32'],
  };
  return ['bin', 'sbin', 'lib', ...(libraries[architecture] ?? [])];
}

/** Makes `/usr/<dir>` and the symlink `/<dir> -> usr/<dir>` for each merged directory, in an empty root. */
export async function createMergedUsrLinks(root: string, architecture: string): Promise<void> {
  for (const dir of mergedUsrDirectories(architecture)) {
    await mkdir(join(root, 'usr', dir), { recursive: true });
    await symlink(join('usr', dir), join(root, dir));
  }
}
