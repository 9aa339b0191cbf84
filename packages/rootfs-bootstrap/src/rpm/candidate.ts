import type { RpmDependency, RpmPackage } from '@distroforge/rpm-extract';
import type { PackageCandidate } from '../package-candidate.js';
import { capability, parseRpmDep, type RpmDep } from './rich-deps.js';
import { formatRpmEvr, type RpmOperator } from './version.js';

/** A capability a package provides: `name [op evr]` (a package always provides `name = evr`). */
export interface RpmProvide {
  name: string;
  operator?: RpmOperator;
  evr?: string;
}

/** A requirement; `pre` marks Requires(pre/post/interp), which must be installed first. */
export interface RpmRequire {
  dep: RpmDep;
  pre: boolean;
}

/** What the rpm resolver needs beyond the source-neutral candidate. */
export interface RpmPackageMeta {
  epoch: number;
  version: string;
  release: string;
  requires: RpmRequire[];
  provides: RpmProvide[];
  obsoletes: RpmProvide[];
  conflicts: RpmProvide[];
  recommends: RpmDep[];
  /** Paths the package owns (file provides such as `/bin/sh`). Repository metadata lists only the usual ones. */
  files: string[];
  /** Scriptlets the package carries (`prein`, `postin`, ...). */
  scriptlets: string[];
}

/** A package of an rpm source: a `PackageCandidate` (version = `[epoch:]version-release`) plus its rpm metadata. */
export interface RpmCandidate extends PackageCandidate {
  rpm: RpmPackageMeta;
}

// rpmsenseFlags bits (rpm's rpmds.h).
const SENSE_PREREQ = 1 << 6;
const SENSE_INTERP = 1 << 8;
const SENSE_SCRIPT_PRE = 1 << 9;
const SENSE_SCRIPT_POST = 1 << 10;
const SENSE_MISSINGOK = 1 << 19;
const SENSE_RPMLIB = 1 << 24;
const PRE_MASK = SENSE_PREREQ | SENSE_INTERP | SENSE_SCRIPT_PRE | SENSE_SCRIPT_POST;

/** Where a candidate's file is and what it is. */
export interface RpmFileFacts {
  location: string;
  sha256: string;
  size: number;
  origin: string;
}

/** Translates a header read by rpm-extract's `readRpm` (or an equivalent repository record) into a candidate. */
export function rpmCandidateFromHeader(pkg: RpmPackage, facts: RpmFileFacts): RpmCandidate {
  const evr = formatRpmEvr({ epoch: pkg.epoch ?? 0, version: pkg.version, release: pkg.release });
  const provides = pkg.provides.map(toProvide);
  if (!provides.some((p) => p.name === pkg.name && p.evr === evr))
    provides.push({ name: pkg.name, operator: '=', evr });
  const requires = pkg.requires
    .filter((d) => (d.flags & (SENSE_RPMLIB | SENSE_MISSINGOK)) === 0 && !d.name.startsWith('rpmlib('))
    .map((d) => ({ dep: parseRpmDep(d.name, d.comparison, d.version), pre: (d.flags & PRE_MASK) !== 0 }));
  return {
    name: pkg.name,
    version: evr,
    architecture: pkg.arch,
    preDepends: [],
    depends: [],
    provides: provides.map((p) => ({ name: p.name, ...(p.evr ? { operator: '=' as const, version: p.evr } : {}) })),
    essential: false,
    priority: 'optional',
    multiArch: '',
    size: facts.size,
    installedSize: pkg.size ?? 0,
    sha256: facts.sha256,
    location: facts.location,
    origin: facts.origin,
    rpm: {
      epoch: pkg.epoch ?? 0,
      version: pkg.version,
      release: pkg.release,
      requires,
      provides,
      obsoletes: pkg.obsoletes.map(toProvide),
      conflicts: pkg.conflicts.map(toProvide),
      recommends: pkg.recommends.map((d) => parseRpmDep(d.name, d.comparison, d.version)),
      files: pkg.files.map((f) => f.path), // %ghost files are owned, so provided, too
      scriptlets: Object.keys(pkg.scripts).sort(),
    },
  };
}

function toProvide(d: RpmDependency): RpmProvide {
  const cap = capability(d.name, d.comparison, d.version);
  return cap.kind === 'cap' && cap.operator
    ? { name: cap.name, operator: cap.operator, evr: cap.evr! }
    : { name: d.name };
}
