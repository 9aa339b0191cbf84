import type { Relation, RelationField } from './relations.js';

/**
 * One installable package version as a source describes it, in the shape the resolver works on.
 * Sources (apt now, rpm later) translate their metadata into this; `location` and `sha256` tell
 * the fetcher where to get the verified file.
 */
export interface PackageCandidate {
  name: string;
  version: string;
  architecture: string;
  /** Dependencies that must be configured before this package is unpacked. */
  preDepends: RelationField;
  depends: RelationField;
  /** Installed too when the request asks for recommends and they can be met (apt's Recommends); none when absent. */
  recommends?: RelationField;
  /** Virtual names this package provides, optionally with an `=` version. */
  provides: Relation[];
  essential: boolean;
  /** Priority as the archive states it (`required`, `important`, `standard`, `optional`, `extra`). */
  priority: string;
  multiArch: string;
  /** Size of the package file in bytes. */
  size: number;
  /** Size once installed, in bytes (the archive states KiB). */
  installedSize: number;
  /** Hex SHA-256 of the package file. */
  sha256: string;
  /** Absolute URL (http, https or file) of the package file. */
  location: string;
  /** Where the metadata came from, e.g. `bookworm-security` (`local` for a local package file). */
  origin: string;
  /** The local package file it was read from (option `localPackages`); absent for repository packages. */
  localFile?: string;
}

/**
 * A candidate as plain data, every field read out: an index's candidates keep most fields in its
 * rows file behind getters and private fields, which a structured clone or JSON leaves behind.
 */
export function plainCandidate(c: PackageCandidate): PackageCandidate {
  return {
    name: c.name,
    version: c.version,
    architecture: c.architecture,
    preDepends: c.preDepends,
    depends: c.depends,
    ...(c.recommends === undefined ? {} : { recommends: c.recommends }),
    provides: c.provides,
    essential: c.essential,
    priority: c.priority,
    multiArch: c.multiArch,
    size: c.size,
    installedSize: c.installedSize,
    sha256: c.sha256,
    location: c.location,
    origin: c.origin,
    ...(c.localFile === undefined ? {} : { localFile: c.localFile }),
  };
}

/** Compares two versions of a source's scheme (Debian policy, rpmvercmp...). */
export type VersionComparator = (a: string, b: string) => number;

/**
 * Every candidate a source offers, indexed for resolution: by name (newest first) and by provided
 * virtual name. Built by `buildUniverse` from a flat list.
 */
export interface PackageUniverse {
  readonly compare: VersionComparator;
  /** Versions per package name, newest first. */
  readonly byName: ReadonlyMap<string, readonly PackageCandidate[]>;
  /** Candidates (the newest version of each name only) providing a virtual name. */
  readonly providers: ReadonlyMap<string, readonly PackageCandidate[]>;
}

/**
 * Indexes candidates. Like apt with default pins, only the newest version of each name is a
 * candidate for installation; older ones stay listed for diagnostics.
 */
export function buildUniverse(candidates: Iterable<PackageCandidate>, compare: VersionComparator): PackageUniverse {
  const byName = new Map<string, PackageCandidate[]>();
  for (const candidate of candidates) {
    const list = byName.get(candidate.name);
    if (list) list.push(candidate);
    else byName.set(candidate.name, [candidate]);
  }
  const providers = new Map<string, PackageCandidate[]>();
  for (const list of byName.values()) {
    list.sort((a, b) => compare(b.version, a.version) || a.origin.localeCompare(b.origin));
    const newest = list[0]!;
    for (const provided of newest.provides) {
      const names = providers.get(provided.name);
      if (names) names.push(newest);
      else providers.set(provided.name, [newest]);
    }
  }
  return { compare, byName, providers };
}
