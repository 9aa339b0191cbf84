import type { ManifestEntry, TreeOwner } from '@distroforge/core';
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { RootResolver } from '../../resolve-in-root.js';
import { declaredConffiles, readDebControlArchive } from '../deb/control-archive.js';
import {
  dpkgPackageName,
  readDiversions,
  readStatOverrides,
  registerUnpacked,
  type UnpackedDebPackage,
} from './database.js';
import type { PackageCandidate } from '../../package-candidate.js';
import { unpackDeb, type UnpackOptions } from '../deb/unpack.js';

export interface DpkgUnpackOptions {
  /** Packages unpacked at the same time (each also runs a decompressor process). */
  concurrency: number;
  /** Paths owned by packages registered before (non-directories), to resolve overlaps dpkg-style. */
  owners: Map<string, string>;
  /**
   * dpkg leaves directories that exist alone; the essential stage applies the members' modes instead,
   * as mmdebstrap's tar extraction before `dpkg --install` does (the skeleton's directories get them).
   */
  keepExistingDirectories: boolean;
  onUnpacked?: (name: string) => void;
  /** A package's data member decompressed already, as a plain tarball (`DataDecodeAhead.take`), if it was. */
  decodedData?: (name: string) => Promise<string | undefined>;
}

/** A package as unpacked: what dpkg's database records, and the owners its files need. */
export interface DpkgUnpackedPackage extends UnpackedDebPackage {
  /**
   * Owners, special modes and nodes of its members (and the stat overrides in force), as the
   * archive and dpkg-statoverride say: the files on disk belong to the invoking user until
   * they are assigned inside the image's user namespace.
   */
  manifest: ManifestEntry[];
}

/**
 * Does what `dpkg --unpack` does for a fresh install, in-process: every package's files are written
 * into the root (diversions and stat overrides in force honoured, conffiles to `<path>.dpkg-new`), then the packages
 * are recorded in dpkg's database as `unpacked`. Maintainer scripts are not run here. Several packages unpack at once; when two ship the same non-directory path, the
 * later one in `packages` wins and the path leaves the earlier one's file list, as dpkg's Replaces
 * handling does.
 */
export async function unpackIntoDpkgDatabase(
  root: string,
  packages: readonly PackageCandidate[],
  files: ReadonlyMap<string, string>,
  options: DpkgUnpackOptions,
): Promise<DpkgUnpackedPackage[]> {
  const [diversions, overrides] = await Promise.all([readDiversions(root), readStatOverrides(root)]);
  const unpackOne = async (pkg: PackageCandidate): Promise<Unpacked> => {
    const file = files.get(pkg.name)!;
    const control = await readDebControlArchive(file);
    const conffiles = new Set(declaredConffiles(control));
    const redirect: NonNullable<UnpackOptions['redirect']> = (path) => {
      const diversion = diversions.get(path);
      const placed = diversion && diversion.by !== pkg.name ? diversion.to : path;
      if (conffiles.has(path)) return `${placed}.dpkg-new`;
      return placed === path ? undefined : placed;
    };
    const shipsMd5sums = control.members.some((m) => m.name === 'md5sums');
    const decodedData = await options.decodedData?.(pkg.name);
    const { listed, md5sums, manifest } = await unpackDeb(file, root, {
      chown: false,
      redirect,
      keepExistingDirectories: options.keepExistingDirectories,
      md5: !shipsMd5sums,
      ...(decodedData ? { decodedData } : {}),
    });
    // dpkg writes the digests itself for packages that ship none.
    if (!shipsMd5sums && md5sums.length > 0) {
      const data = Buffer.from(md5sums.map((m) => `${m.md5}  ${m.path.slice(1)}\n`).join(''));
      control.members.push({ name: 'md5sums', data, mode: 0o644 });
    }
    const entry = { name: pkg.name, architecture: pkg.architecture, multiArch: pkg.multiArch };
    // Owners go where the member landed (a diverted file, a new conffile), not to its own path.
    const placed = manifest.map((m) => ({ ...m, path: redirect(m.path) ?? m.path }));
    return {
      ...entry,
      dpkgName: dpkgPackageName(entry),
      control,
      entries: listed,
      listed: listed.map((l) => l.path),
      manifest: placed,
    };
  };
  const unpacked: Unpacked[] = new Array(packages.length);
  const queue = largestFirst(packages);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let at = next++; at < queue.length; at = next++) {
      const i = queue[at]!;
      unpacked[i] = await unpackOne(packages[i]!);
      options.onUnpacked?.(packages[i]!.name);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, packages.length)) }, worker));

  // Overlapping files: the later package's copy must be the one on disk, and only it owns the path.
  const byName = new Map(unpacked.map((u) => [u.dpkgName, u]));
  const rewrite = new Set<number>();
  for (const [index, pkg] of unpacked.entries()) {
    for (const entry of pkg.entries) {
      if (entry.directory || entry.path === '/.') continue;
      const previous = options.owners.get(entry.path);
      if (previous !== undefined && previous !== pkg.dpkgName) {
        const earlier = byName.get(previous);
        if (earlier) earlier.listed = earlier.listed.filter((p) => p !== entry.path);
        else await dropFromList(root, previous, entry.path);
        rewrite.add(index);
      }
      options.owners.set(entry.path, pkg.dpkgName);
    }
  }
  for (const index of [...rewrite].sort((a, b) => a - b)) await unpackOne(packages[index]!); // the last owner writes last
  // Owners and modes the scripts that ran before set with dpkg-statoverride, as dpkg applies them
  // (a diverted path's override applies to the diverted file, as dpkg looks it up by the real path).
  if (overrides.size > 0) {
    for (const pkg of unpacked) {
      for (const { path } of pkg.entries) {
        const override = overrides.get(path);
        if (!override) continue;
        const diverted = diversions.get(path);
        const placed = diverted && diverted.by !== pkg.name ? diverted.to : path;
        pkg.manifest.push({ path: placed, uid: override.uid, gid: override.gid, mode: override.mode });
      }
    }
  }
  await registerUnpacked(root, unpacked);
  return unpacked;
}

/**
 * Indices of `packages`, the largest package file first (ties in their order): a big package (the
 * kernel: 70 MB, 400 MB unpacked) started last would finish alone long after the others. What
 * lands on disk does not depend on the order the packages are unpacked in: overlapping files are
 * rewritten by their last owner in `packages` order afterwards.
 */
function largestFirst(packages: readonly PackageCandidate[]): number[] {
  return packages.map((_, i) => i).sort((a, b) => packages[b]!.size - packages[a]!.size || a - b);
}

interface Unpacked extends DpkgUnpackedPackage {
  dpkgName: string;
  entries: { path: string; directory: boolean }[];
  listed: string[];
}

async function dropFromList(root: string, owner: string, path: string): Promise<void> {
  const list = join(root, 'var/lib/dpkg/info', `${owner}.list`);
  const lines = (await readFile(list, 'utf8')).split('\n').filter((l) => l !== '' && l !== path);
  await writeFile(list, lines.map((l) => `${l}\n`).join(''));
}

/**
 * The archive owners of files that exist on disk, at their real place: parent symlinks of the
 * image resolved inside the root (merged /usr), never through the host.
 */
export function ownersToAssign(root: string, unpacked: readonly DpkgUnpackedPackage[]): TreeOwner[] {
  const resolver = new RootResolver(root);
  const owners = new Map<string, TreeOwner>();
  for (const entry of unpacked.flatMap((u) => u.manifest)) {
    if (entry.type === 'char' || entry.type === 'block' || entry.type === 'fifo' || entry.type === 'socket') continue;
    const path = relative(root, resolver.resolve(entry.path));
    const previous = owners.get(path);
    const mode = entry.mode ?? previous?.mode;
    owners.set(path, {
      path,
      uid: entry.uid ?? previous?.uid ?? 0,
      gid: entry.gid ?? previous?.gid ?? 0,
      ...(mode === undefined ? {} : { mode }),
    });
  }
  return [...owners.values()];
}
