import { UnsatisfiableError } from './errors.js';
import type { PackageCandidate, PackageUniverse } from './package-candidate.js';
import { formatRelation, operatorAccepts, type Relation } from './relations.js';

export interface ResolveRequest {
  /** Package names that must be installed (the variant's base set plus the user's includes). */
  names: readonly string[];
  /** Package names never to install; a dependency that needs one fails, alternatives avoid it. */
  exclude?: readonly string[];
  /**
   * Also install what the selected packages recommend, as apt does by default: each recommended
   * name (first installable alternative) with its dependencies, or nothing of it when those cannot
   * be met; an unavailable recommendation is skipped, never an error.
   */
  recommends?: boolean;
}

/** Why a package is in the set: the chain of names from a requested package to it. */
export interface ResolvedPackage {
  candidate: PackageCandidate;
  chain: readonly string[];
}

const PRIORITY_RANK: Record<string, number> = { required: 0, important: 1, standard: 2, optional: 3, extra: 4 };

/**
 * Resolves requested names to a closed set of candidates, deterministically and in the spirit of
 * apt: one (the newest) version per name; single dependencies first, then or-groups, each satisfied
 * by an already selected alternative when possible, else by its first installable one; virtual
 * names by a real package of that name, else a provider (already selected, then by priority and
 * name). Throws `UnsatisfiableError` naming the chain that cannot be met.
 */
export function resolveDependencies(universe: PackageUniverse, request: ResolveRequest): ResolvedPackage[] {
  const excluded = new Set(request.exclude ?? []);
  const selected = new Map<string, ResolvedPackage>();
  const providedBySelected = new Map<string, PackageCandidate[]>();
  const queue: ResolvedPackage[] = [];
  const deferred: { group: Relation[]; chain: readonly string[] }[] = [];

  const select = (candidate: PackageCandidate, chain: readonly string[]): void => {
    if (selected.has(candidate.name)) return;
    const resolved = { candidate, chain };
    selected.set(candidate.name, resolved);
    for (const provided of candidate.provides) {
      const list = providedBySelected.get(provided.name) ?? [];
      list.push(candidate);
      providedBySelected.set(provided.name, list);
    }
    queue.push(resolved);
  };

  const satisfiedBySelected = (relation: Relation): boolean => {
    const real = selected.get(relation.name);
    if (real && accepts(universe, real.candidate.version, relation)) return true;
    return (providedBySelected.get(relation.name) ?? []).some((p) => providesAccepts(universe, p, relation));
  };

  /** The candidate that would satisfy `relation` if nothing selected does, or a reason why none. */
  const choose = (relation: Relation): PackageCandidate | string => {
    const real = universe.byName.get(relation.name)?.[0];
    if (real && !excluded.has(real.name) && accepts(universe, real.version, relation)) return real;
    const providers = (universe.providers.get(relation.name) ?? []).filter(
      (p) => !excluded.has(p.name) && providesAccepts(universe, p, relation),
    );
    if (providers.length > 0) return [...providers].sort(providerOrder)[0]!;
    if (real && excluded.has(real.name)) return `${real.name} is excluded`;
    if (real) return `only version ${real.version} is available`;
    return 'no package of that name and no provider';
  };

  for (const name of [...new Set(request.names)]) {
    const chain = [name];
    const candidate = choose({ name });
    if (typeof candidate === 'string') throw new UnsatisfiableError(chain, candidate);
    select(candidate, chain);
  }

  /** Selects what the queued packages depend on, until every dependency is met (or one cannot be). */
  const closeDependencies = (): void => {
    for (;;) {
      while (queue.length > 0) {
        const { candidate, chain } = queue.shift()!;
        recommendQueue.push({ candidate, chain });
        for (const group of [...candidate.preDepends, ...candidate.depends]) {
          if (group.some(satisfiedBySelected)) continue;
          if (group.length > 1) {
            deferred.push({ group, chain });
            continue;
          }
          const relation = group[0]!;
          const choice = choose(relation);
          if (typeof choice === 'string') throw new UnsatisfiableError([...chain, formatRelation(relation)], choice);
          select(choice, [...chain, choice.name]);
        }
      }
      const next = deferred.shift();
      if (!next) break;
      if (next.group.some(satisfiedBySelected)) continue;
      const reasons: string[] = [];
      let chosen: PackageCandidate | undefined;
      for (const relation of next.group) {
        const choice = choose(relation);
        if (typeof choice !== 'string') {
          chosen = choice;
          break;
        }
        reasons.push(`${formatRelation(relation)}: ${choice}`);
      }
      if (!chosen) {
        throw new UnsatisfiableError([...next.chain, next.group.map(formatRelation).join(' | ')], reasons.join('; '));
      }
      select(chosen, [...next.chain, chosen.name]);
    }
  };

  const recommendQueue: ResolvedPackage[] = [];
  closeDependencies();
  // Recommends, in selection order: each one tried with its dependencies, and dropped whole (the
  // selection as it was) when they cannot be met.
  while (request.recommends && recommendQueue.length > 0) {
    const { candidate, chain } = recommendQueue.shift()!;
    for (const group of candidate.recommends ?? []) {
      if (group.some(satisfiedBySelected)) continue;
      for (const relation of group) {
        const choice = choose(relation);
        if (typeof choice === 'string') continue;
        const saved = {
          selected: new Map(selected),
          provided: new Map([...providedBySelected].map(([k, v]) => [k, [...v]] as [string, PackageCandidate[]])),
          pending: recommendQueue.length,
        };
        try {
          select(choice, [...chain, choice.name]);
          closeDependencies();
          break;
        } catch (error) {
          if (!(error instanceof UnsatisfiableError)) throw error;
          selected.clear();
          for (const [k, v] of saved.selected) selected.set(k, v);
          providedBySelected.clear();
          for (const [k, v] of saved.provided) providedBySelected.set(k, v);
          queue.length = 0;
          deferred.length = 0;
          recommendQueue.length = saved.pending;
        }
      }
    }
  }
  return [...selected.values()].sort((a, b) =>
    a.candidate.name < b.candidate.name ? -1 : a.candidate.name > b.candidate.name ? 1 : 0,
  );
}

function accepts(universe: PackageUniverse, version: string, relation: Relation): boolean {
  if (!relation.operator || relation.version === undefined) return true;
  return operatorAccepts(relation.operator, universe.compare(version, relation.version));
}

/** A versioned relation is satisfied by a provider only through a versioned Provides (policy 7.5). */
function providesAccepts(universe: PackageUniverse, provider: PackageCandidate, relation: Relation): boolean {
  return provider.provides.some(
    (p) =>
      p.name === relation.name &&
      (!relation.operator || (p.version !== undefined && accepts(universe, p.version, relation))),
  );
}

function providerOrder(a: PackageCandidate, b: PackageCandidate): number {
  const rank = (c: PackageCandidate) => (c.essential ? -1 : (PRIORITY_RANK[c.priority] ?? 5));
  return rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** For a closed set of packages: the names each one depends on (first satisfying alternative). */
function dependencyGraph(packages: readonly PackageCandidate[], universe: PackageUniverse): Map<string, string[]> {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const providers = new Map<string, PackageCandidate[]>();
  for (const p of packages) for (const v of p.provides) providers.set(v.name, [...(providers.get(v.name) ?? []), p]);
  const graph = new Map<string, string[]>();
  for (const p of packages) {
    const names = new Set<string>();
    for (const group of [...p.preDepends, ...p.depends]) {
      for (const relation of group) {
        const real = byName.get(relation.name);
        if (real && accepts(universe, real.version, relation)) {
          names.add(real.name);
          break;
        }
        const provider = providers.get(relation.name)?.find((c) => providesAccepts(universe, c, relation));
        if (provider) {
          names.add(provider.name);
          break;
        }
      }
    }
    names.delete(p.name);
    graph.set(p.name, [...names].sort());
  }
  return graph;
}

/**
 * Orders resolved packages for installation: a package after its pre-dependencies and dependencies
 * where the graph allows (cycles are broken deterministically by name), like dpkg would need.
 */
export function installOrder(packages: readonly PackageCandidate[], universe: PackageUniverse): PackageCandidate[] {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const graph = dependencyGraph(packages, universe);
  const order: PackageCandidate[] = [];
  const seen = new Set<string>();
  const visit = (p: PackageCandidate): void => {
    if (seen.has(p.name)) return;
    seen.add(p.name);
    for (const dep of graph.get(p.name) ?? []) visit(byName.get(dep)!);
    order.push(p);
  };
  for (const p of [...packages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) visit(p);
  return order;
}

/** The names in `packages` that `roots` need, transitively (the roots included). */
export function dependencyClosure(
  roots: Iterable<string>,
  packages: readonly PackageCandidate[],
  universe: PackageUniverse,
): Set<string> {
  const graph = dependencyGraph(packages, universe);
  const closure = new Set<string>();
  const stack = [...roots];
  for (let name = stack.pop(); name !== undefined; name = stack.pop()) {
    if (closure.has(name) || !graph.has(name)) continue;
    closure.add(name);
    stack.push(...(graph.get(name) ?? []));
  }
  return closure;
}
