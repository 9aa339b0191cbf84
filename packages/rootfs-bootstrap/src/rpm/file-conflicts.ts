import type { RpmFile } from '@distroforge/rpm-extract';

/** Two packages of one transaction that install different things at one path. */
export interface RpmFileConflict {
  path: string;
  /** The package installed first and the one refused (names as `name-version.arch`, in install order). */
  packages: [string, string];
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;

/**
 * rpm's rule for files two packages of a transaction both carry (rpmfilesCompare): a `%ghost` on
 * either side never conflicts; otherwise the two must be the same kind of file with the same mode
 * (symlinks: any mode), owner and group, and the same target (symlinks) or size and digest (regular
 * files); directories with the same mode, owner and group are shared. Anything else conflicts, as
 * rpm 4.18 and dnf refuse it (tested case by case against `rpm -i --test`).
 */
export function rpmFilesIdentical(a: RpmFile, b: RpmFile): boolean {
  if (a.ghost || b.ghost) return true;
  const kind = a.mode & S_IFMT;
  if (kind !== (b.mode & S_IFMT)) return false;
  if (kind !== S_IFLNK && a.mode !== b.mode) return false;
  if (a.user !== b.user || a.group !== b.group) return false;
  if (kind === S_IFDIR) return true;
  if (kind === S_IFLNK) return a.linkTo === b.linkTo;
  if (kind === S_IFREG) return a.size === b.size && a.digest === b.digest;
  return a.rdev === b.rdev;
}

/**
 * The file conflicts of a transaction: every path two packages carry where `rpmFilesIdentical`
 * says no, named with both packages (the first owner and the later one), sorted by path.
 */
export function findRpmFileConflicts(
  packages: readonly { id: string; files: readonly RpmFile[] }[],
): RpmFileConflict[] {
  const owner = new Map<string, { id: string; file: RpmFile }>();
  const conflicts: RpmFileConflict[] = [];
  for (const pkg of packages) {
    for (const file of pkg.files) {
      const first = owner.get(file.path);
      if (!first) {
        owner.set(file.path, { id: pkg.id, file });
        continue;
      }
      if (first.id === pkg.id || rpmFilesIdentical(first.file, file)) continue;
      conflicts.push({ path: file.path, packages: [first.id, pkg.id] });
    }
  }
  return conflicts.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
