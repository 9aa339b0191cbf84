import { UnsatisfiableError } from '../errors.js';
import type { ResolvedPackage } from '../resolve-dependencies.js';
import type { RpmCandidate, RpmProvide } from './candidate.js';
import { formatRpmDep, type RpmDep } from './rich-deps.js';
import { compareRpmVersions, rpmRangesOverlap } from './version.js';

export interface RpmResolveRequest {
  /** Package names or capabilities (`/bin/sh`, `webserver`) that must be installed. */
  names: readonly string[];
  /** Package names never to install. */
  exclude?: readonly string[];
  /** rpm architecture of the target (`x86_64`, `aarch64`...). */
  architecture: string;
  /** Install Recommends (dnf's `install_weak_deps`, default true). */
  weakDeps?: boolean;
}

/** Architectures a target runs, best first (after `noarch`, see `bestOfName`). */
const COMPATIBLE: Record<string, string[]> = {
  x86_64: ['x86_64', 'i686', 'i586', 'i486', 'i386'],
  i686: ['i686', 'i586', 'i486', 'i386'],
  aarch64: ['aarch64'],
  ppc64le: ['ppc64le'],
  s390x: ['s390x'],
  riscv64: ['riscv64'],
};

/** Whether packages built for `arch` run on a `target` machine (`noarch` runs everywhere). */
export function rpmArchitectureRuns(target: string, arch: string): boolean {
  return arch === 'noarch' || (COMPATIBLE[target] ?? [target]).includes(arch);
}

/**
 * Resolves rpm packages like dnf on an empty root, deterministically: per name the best
 * architecture (x86_64 over i686; noarch competes by version and loses ties), then the newest
 * version; a capability by an already selected provider, else the package of that name, else the
 * providers by name; packages obsoleted by another available package are avoided (a requested one
 * is replaced by its obsoleter); `rpmlib(...)` is met internally. Rich dependencies: `and`, `or`
 * (an already selected alternative, else the providers of all alternatives by name, as libsolv), `with`/`without` (one package),
 * `if`/`unless` with `else` (decided once the hard dependencies are closed, repeated until stable).
 * Recommends are installed when `weakDeps` and installable. Throws `UnsatisfiableError` naming the chain.
 */
export function resolveRpmDependencies(
  candidates: readonly RpmCandidate[],
  request: RpmResolveRequest,
): ResolvedPackage[] {
  const arches = COMPATIBLE[request.architecture] ?? [request.architecture];
  const archRank = (a: string) => (a === 'noarch' ? 0.5 : arches.indexOf(a));
  const excluded = new Set(request.exclude ?? []);
  const usable = candidates.filter(
    (c) => archRank(c.architecture) >= 0 && c.architecture !== 'src' && !excluded.has(c.name),
  );

  const byName = new Map<string, RpmCandidate[]>();
  for (const c of usable) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  for (const list of byName.values()) list.sort((a, b) => preference(a, b, archRank));
  const providers = new Map<string, RpmCandidate[]>();
  for (const c of usable) for (const p of c.rpm.provides) providers.set(p.name, [...(providers.get(p.name) ?? []), c]);
  const owners = new Map<string, RpmCandidate[]>();
  for (const c of usable) for (const f of c.rpm.files) owners.set(f, [...(owners.get(f) ?? []), c]);

  // A package is obsoleted when the best package of another name obsoletes its name and version.
  // A local package file is wanted as given, never obsoleted (as dnf installs a command-line package).
  const obsoleters = new Map<RpmCandidate, RpmCandidate>();
  for (const list of byName.values()) {
    const best = list[0]!;
    for (const o of best.rpm.obsoletes) {
      for (const victim of byName.get(o.name) ?? []) {
        if (
          victim.localFile === undefined &&
          victim.name !== best.name &&
          rpmRangesOverlap({ operator: '=', evr: victim.version }, o) &&
          !obsoleters.has(victim)
        )
          obsoleters.set(victim, best);
      }
    }
  }

  const selected = new Map<string, ResolvedPackage>();
  const queue: ResolvedPackage[] = [];
  const deferred: { dep: RpmDep; chain: readonly string[] }[] = [];
  const conditionals: { dep: RpmDep; chain: readonly string[] }[] = [];

  const providesCap = (c: RpmCandidate, cap: Extract<RpmDep, { kind: 'cap' }>): boolean =>
    cap.name.startsWith('/') && c.rpm.files.includes(cap.name)
      ? true
      : c.rpm.provides.some((p) => p.name === cap.name && rpmRangesOverlap(p, cap));

  /** Whether the selected set meets `dep` now. */
  const met = (dep: RpmDep): boolean => {
    switch (dep.kind) {
      case 'cap':
        if (dep.name.startsWith('rpmlib(')) return true;
        return whoProvides(dep).some((c) => selected.get(c.name)?.candidate === c);
      case 'and':
        return dep.args.every(met);
      case 'or':
        return dep.args.some(met);
      case 'with':
        return [...selected.values()].some((s) =>
          dep.args.every((a) => a.kind === 'cap' && providesCap(s.candidate as RpmCandidate, a)),
        );
      case 'without':
        return [...selected.values()].some((s) => fulfils(s.candidate as RpmCandidate, dep));
      case 'if':
        return met(dep.condition) ? met(dep.then) : dep.otherwise ? met(dep.otherwise) : true;
      case 'unless':
        return !met(dep.condition) ? met(dep.then) : dep.otherwise ? met(dep.otherwise) : true;
    }
  };

  /** One package meeting a `with`/`without` on its own. */
  const fulfils = (c: RpmCandidate, dep: RpmDep): boolean => {
    if (dep.kind === 'cap') return providesCap(c, dep);
    if (dep.kind === 'with') return dep.args.every((a) => fulfils(c, a));
    if (dep.kind === 'without') return fulfils(c, dep.args[0]!) && !dep.args.slice(1).some((a) => fulfils(c, a));
    return false;
  };

  const whoProvides = (cap: Extract<RpmDep, { kind: 'cap' }>): RpmCandidate[] => {
    const found = new Set<RpmCandidate>();
    for (const c of providers.get(cap.name) ?? []) if (providesCap(c, cap)) found.add(c);
    if (cap.name.startsWith('/')) for (const c of owners.get(cap.name) ?? []) found.add(c);
    return [...found];
  };

  /** The candidate to install for a package-level requirement, or why there is none. */
  const chooseFor = (pool: readonly RpmCandidate[], name: string | undefined): RpmCandidate | string => {
    if (pool.length === 0) return 'nothing provides it';
    const sel = pool.find((c) => selected.get(c.name)?.candidate === c);
    if (sel) return sel;
    const open = pool.filter((c) => !selected.has(c.name)); // one version per name
    if (open.length === 0)
      return `needs another version of ${pool.map((c) => c.name).join(', ')} than the one selected`;
    const notObsoleted = open.filter((c) => !obsoleters.has(c));
    const choices = notObsoleted.length > 0 ? notObsoleted : open;
    choices.sort(
      (a, b) =>
        Number(b.name === name) - Number(a.name === name) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
        preference(a, b, archRank),
    );
    return choices[0]!;
  };

  const select = (candidate: RpmCandidate, chain: readonly string[]): void => {
    if (selected.has(candidate.name)) return;
    const resolved = { candidate, chain };
    selected.set(candidate.name, resolved);
    queue.push(resolved);
  };

  /** Installs what `dep` needs; returns a reason instead when it cannot. */
  const ensure = (dep: RpmDep, chain: readonly string[]): string | undefined => {
    if (met(dep)) return undefined;
    switch (dep.kind) {
      case 'cap': {
        const choice = chooseFor(whoProvides(dep), dep.name);
        if (typeof choice === 'string') return `${formatRpmDep(dep)}: ${choice}`;
        select(choice, [...chain, choice.name]);
        return undefined;
      }
      case 'and': {
        for (const arg of dep.args) {
          const why = ensure(arg, chain);
          if (why) return why;
        }
        return undefined;
      }
      case 'or': {
        if (dep.args.every((a) => a.kind === 'cap')) {
          // Like libsolv: every provider of every alternative competes, by name.
          const pool = new Set(dep.args.flatMap((a) => (a.kind === 'cap' ? whoProvides(a) : [])));
          const choice = chooseFor([...pool], undefined);
          if (typeof choice === 'string') return `${formatRpmDep(dep)}: ${choice}`;
          select(choice, [...chain, choice.name]);
          return undefined;
        }
        const reasons: string[] = [];
        for (const arg of dep.args) {
          if (!installable(arg)) {
            reasons.push(`${formatRpmDep(arg)}: not installable`);
            continue;
          }
          const why = ensure(arg, chain);
          if (!why) return undefined;
          reasons.push(why);
        }
        return reasons.join('; ');
      }
      case 'with':
      case 'without': {
        const choice = chooseFor(
          usable.filter((c) => fulfils(c, dep)),
          undefined,
        );
        if (typeof choice === 'string') return `${formatRpmDep(dep)}: ${choice}`;
        select(choice, [...chain, choice.name]);
        return undefined;
      }
      case 'if':
      case 'unless': {
        const branch = met(dep.condition) === (dep.kind === 'if') ? dep.then : dep.otherwise;
        return branch ? ensure(branch, chain) : undefined;
      }
    }
  };

  /** A cheap look-ahead for `or`: some package could meet the dependency by itself. */
  const installable = (dep: RpmDep): boolean => {
    if (dep.kind === 'cap')
      return (
        dep.name.startsWith('rpmlib(') ||
        whoProvides(dep).some((c) => !selected.has(c.name) || selected.get(c.name)?.candidate === c)
      );
    if (dep.kind === 'and') return dep.args.every(installable);
    if (dep.kind === 'or') return dep.args.some(installable);
    if (dep.kind === 'with' || dep.kind === 'without') return usable.some((c) => fulfils(c, dep));
    return true;
  };

  /** Several packages (by name) could meet a plain requirement. */
  const ambiguous = (dep: Extract<RpmDep, { kind: 'cap' }>): boolean =>
    new Set(whoProvides(dep).map((c) => c.name)).size > 1;

  const demand = (dep: RpmDep, chain: readonly string[]): void => {
    const why = ensure(dep, chain);
    if (why) throw new UnsatisfiableError([...chain, formatRpmDep(dep)], why);
  };

  for (const name of [...new Set(request.names)]) {
    const own = byName.get(name)?.[0];
    const target = own ? (obsoleters.get(own) ?? own) : undefined;
    if (target) select(target, target === own ? [name] : [name, target.name]);
    else if (excluded.has(name)) throw new UnsatisfiableError([name], `${name} is excluded`);
    else demand({ kind: 'cap', name }, []);
  }

  const drain = (): void => {
    for (;;) {
      while (queue.length > 0) {
        const { candidate, chain } = queue.shift()!;
        const rpm = (candidate as RpmCandidate).rpm;
        for (const { dep } of rpm.requires) {
          // Like libsolv's unit propagation: a choice among several providers waits until the
          // requirements with one possible provider are in (they may settle it).
          if (dep.kind === 'or' || (dep.kind === 'cap' && ambiguous(dep))) deferred.push({ dep, chain });
          else if (dep.kind === 'if' || dep.kind === 'unless') conditionals.push({ dep, chain });
          else demand(dep, chain);
        }
        if (request.weakDeps ?? true) for (const dep of rpm.recommends) weak.push({ dep, chain });
      }
      const next = deferred.shift();
      if (!next) break;
      demand(next.dep, next.chain);
    }
  };
  const weak: { dep: RpmDep; chain: readonly string[] }[] = [];
  for (;;) {
    drain();
    // Conditionals are decided on the closed set; deciding one may select more, so repeat.
    const pending = conditionals.filter((c) => !met(c.dep));
    if (pending.length > 0) {
      for (const c of pending) demand(c.dep, c.chain);
      continue;
    }
    const recommended = weak.splice(0).filter((w) => !met(w.dep) && installable(w.dep));
    if (recommended.length === 0) break;
    for (const w of recommended) ensure(w.dep, w.chain); // weak: an unmet recommendation is dropped
  }

  for (const { candidate } of selected.values()) {
    for (const conflict of (candidate as RpmCandidate).rpm.conflicts) {
      const other = whoProvides({ kind: 'cap', ...conflict }).find(
        (c) => c !== candidate && selected.get(c.name)?.candidate === c,
      );
      if (other)
        throw new UnsatisfiableError(
          [...selected.get(candidate.name)!.chain],
          `${candidate.name} conflicts with ${other.name} (${formatProvide(conflict)})`,
        );
    }
  }
  return [...selected.values()].sort((a, b) =>
    a.candidate.name < b.candidate.name ? -1 : a.candidate.name > b.candidate.name ? 1 : 0,
  );
}

/** Best first: best architecture (noarch only wins on version), then newest version, then origin. */
function preference(a: RpmCandidate, b: RpmCandidate, archRank: (arch: string) => number): number {
  const ra = archRank(a.architecture);
  const rb = archRank(b.architecture);
  const bothArch = a.architecture !== 'noarch' && b.architecture !== 'noarch';
  if (bothArch && ra !== rb) return ra - rb;
  return (
    compareRpmVersions(b.version, a.version) ||
    ra - rb ||
    a.origin.localeCompare(b.origin) ||
    a.location.localeCompare(b.location)
  );
}

function formatProvide(p: RpmProvide): string {
  return p.operator ? `${p.name} ${p.operator} ${p.evr}` : p.name;
}

/**
 * Orders resolved rpm packages for installation: each after what it requires, pre-requirements
 * (Requires(pre), Requires(post), interpreters) visited first so they win when a cycle must be
 * broken; cycles are broken deterministically by name.
 */
export function rpmInstallOrder(packages: readonly RpmCandidate[]): RpmCandidate[] {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const providerOf = (cap: Extract<RpmDep, { kind: 'cap' }>): RpmCandidate | undefined =>
    packages.find(
      (c) =>
        (cap.name.startsWith('/') && c.rpm.files.includes(cap.name)) ||
        c.rpm.provides.some((p) => p.name === cap.name && rpmRangesOverlap(p, cap)),
    );
  const capsOf = (dep: RpmDep): Extract<RpmDep, { kind: 'cap' }>[] => {
    if (dep.kind === 'cap') return [dep];
    if (dep.kind === 'if' || dep.kind === 'unless')
      return [dep.then, ...(dep.otherwise ? [dep.otherwise] : [])].flatMap(capsOf);
    return 'args' in dep ? dep.args.flatMap(capsOf) : [];
  };
  const edges = new Map<string, string[]>();
  for (const p of packages) {
    const pre: string[] = [];
    const normal: string[] = [];
    for (const r of p.rpm.requires) {
      for (const cap of capsOf(r.dep)) {
        const provider = providerOf(cap);
        if (provider && provider.name !== p.name) (r.pre ? pre : normal).push(provider.name);
      }
    }
    edges.set(p.name, [...new Set([...pre.sort(), ...normal.sort()])]);
  }
  const order: RpmCandidate[] = [];
  const seen = new Set<string>();
  const visit = (p: RpmCandidate): void => {
    if (seen.has(p.name)) return;
    seen.add(p.name);
    for (const dep of edges.get(p.name) ?? []) visit(byName.get(dep)!);
    order.push(p);
  };
  for (const p of [...packages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) visit(p);
  return order;
}
