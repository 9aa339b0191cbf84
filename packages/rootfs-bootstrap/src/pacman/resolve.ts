import {
  formatPacmanDependency,
  packageSatisfies,
  parsePacmanDependency,
  type PacmanDependency,
} from './dependency.js';
import { PacmanConflictError, PacmanUnsatisfiableError } from './errors.js';
import type { PacmanPackageInfo } from './package-info.js';
import type { PacmanSyncDatabase } from './sync-database.js';

/** What `pacman -S TARGETS` on an empty root would install. */
export interface PacmanResolution {
  /** Dependencies before their dependents (cycles broken where they close). */
  packages: PacmanPackageInfo[];
  /** Packages dropped because another of the set conflicts with them and provides them (pacman's warning). */
  removed: { package: PacmanPackageInfo; for: PacmanPackageInfo }[];
  /** Names of the packages chosen for the targets themselves (pacman's explicitly installed ones); the rest are dependencies. */
  explicit: string[];
}

/**
 * Resolves targets as pacman's `-S --noconfirm` does on an empty root, with `databases` in
 * repository order:
 * - a target (`name`, `name>=ver`, `repo/name`) is a package of that exact name in the first
 *   repository having one that meets the version, else the first provider (repositories in order,
 *   names sorted within one — pacman's default answer), else a group: its members from every
 *   repository, a name's first repository winning;
 * - each package's missing dependencies, in order, are met by a package already chosen, else by a
 *   target, else by the same search as a target's;
 * - two chosen packages in conflict: when one provides the other, the other is dropped; otherwise
 *   `PacmanConflictError`.
 * Replaces only matter to a system upgrade (`-Su`), so they are not applied here.
 */
export function resolvePacmanTargets(
  databases: readonly PacmanSyncDatabase[],
  targets: readonly string[],
): PacmanResolution {
  const sorted = databases.map((db) => ({
    repo: db.repo,
    packages: [...db.packages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  }));
  const byName = sorted.map((db) => new Map(db.packages.map((p) => [p.name, p])));

  const chosenTargets: PacmanPackageInfo[] = [];
  for (const target of targets) {
    const slash = target.indexOf('/');
    const only = slash < 0 ? undefined : target.slice(0, slash);
    const spec = slash < 0 ? target : target.slice(slash + 1);
    const repos =
      only === undefined ? sorted.map((_, k) => k) : sorted.flatMap((db, k) => (db.repo === only ? [k] : []));
    if (only !== undefined && repos.length === 0) throw new PacmanUnsatisfiableError([target], `no repository ${only}`);
    const found = findSatisfier(parsePacmanDependency(spec), repos, []);
    const picks = found ? [found] : groupMembers(spec, repos);
    if (picks.length === 0)
      throw new PacmanUnsatisfiableError([target], 'target not found (no package, provider or group of that name)');
    for (const pkg of picks) if (!chosenTargets.some((t) => t.name === pkg.name)) chosenTargets.push(pkg);
  }

  const resolved: PacmanPackageInfo[] = [];
  const resolveDeps = (pkg: PacmanPackageInfo, chain: string[]): void => {
    if (resolved.some((p) => p.name === pkg.name)) return;
    // Added before its dependencies: a cycle back to it is then already met.
    resolved.push(pkg);
    for (const dep of pkg.depends) {
      if (packageSatisfies(pkg, dep)) continue;
      if (resolved.some((p) => packageSatisfies(p, dep))) continue;
      const spkg =
        chosenTargets.find((p) => packageSatisfies(p, dep)) ??
        findSatisfier(
          dep,
          sorted.map((_, k) => k),
          resolved,
        );
      if (!spkg) throw new PacmanUnsatisfiableError([...chain, formatPacmanDependency(dep)], 'no package satisfies it');
      resolveDeps(spkg, [...chain, spkg.name]);
    }
  };
  for (const target of chosenTargets) resolveDeps(target, [target.name]);

  const removed: PacmanResolution['removed'] = [];
  for (let a = 0; a < resolved.length; a++) {
    for (let b = a + 1; b < resolved.length; b++) {
      const x = resolved[a]!;
      const y = resolved[b]!;
      const conflict =
        x.conflicts.find((c) => c.name !== x.name && packageSatisfies(y, c)) ??
        y.conflicts.find((c) => c.name !== y.name && packageSatisfies(x, c));
      if (!conflict) continue;
      const named = (n: string): PacmanDependency => ({
        name: n,
        operator: undefined,
        version: undefined,
        description: undefined,
      });
      const [keep, drop] = packageSatisfies(x, named(y.name))
        ? [x, y]
        : packageSatisfies(y, named(x.name))
          ? [y, x]
          : [undefined, undefined];
      if (!keep || !drop)
        throw new PacmanConflictError(
          `${x.name}-${x.version}`,
          `${y.name}-${y.version}`,
          formatPacmanDependency(conflict),
        );
      removed.push({ package: drop, for: keep });
      resolved.splice(resolved.indexOf(drop), 1);
      a = -1; // the list changed: look again from the start
      break;
    }
  }
  return {
    packages: installOrder(resolved),
    removed,
    explicit: chosenTargets.filter((t) => resolved.includes(t)).map((t) => t.name),
  };

  function findSatisfier(
    dep: PacmanDependency,
    repos: readonly number[],
    excluding: readonly PacmanPackageInfo[],
  ): PacmanPackageInfo | undefined {
    for (const k of repos) {
      const pkg = byName[k]!.get(dep.name);
      if (
        pkg &&
        packageSatisfies({ name: pkg.name, version: pkg.version, provides: [] }, dep) &&
        !excluding.some((e) => e.name === pkg.name)
      )
        return pkg;
    }
    for (const k of repos) {
      for (const pkg of sorted[k]!.packages) {
        if (
          pkg.name !== dep.name &&
          packageSatisfies({ name: '', version: '', provides: pkg.provides }, dep) &&
          !excluding.some((e) => e.name === pkg.name)
        )
          return pkg;
      }
    }
    return undefined;
  }

  function groupMembers(group: string, repos: readonly number[]): PacmanPackageInfo[] {
    const members: PacmanPackageInfo[] = [];
    for (const k of repos)
      for (const pkg of sorted[k]!.packages)
        if (pkg.groups.includes(group) && !members.some((m) => m.name === pkg.name)) members.push(pkg);
    return members;
  }
}

/** Dependencies first (depth-first over the chosen set), in the order the set was chosen otherwise. */
function installOrder(packages: readonly PacmanPackageInfo[]): PacmanPackageInfo[] {
  const order: PacmanPackageInfo[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (pkg: PacmanPackageInfo): void => {
    if (state.has(pkg.name)) return;
    state.set(pkg.name, 'visiting');
    for (const dep of pkg.depends) {
      const provider = packages.find((p) => p !== pkg && packageSatisfies(p, dep));
      if (provider) visit(provider);
    }
    state.set(pkg.name, 'done');
    order.push(pkg);
  };
  packages.forEach(visit);
  return order;
}
