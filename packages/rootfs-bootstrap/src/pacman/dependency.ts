import { comparePacmanVersions } from './vercmp.js';

/** The comparison of a versioned dependency, provide, conflict or replace. */
export type PacmanDepOperator = '>=' | '<=' | '=' | '>' | '<';

/** `name`, `name=1.0`, `name>=2:1.0-3`, `name: why` (an optional dependency's reason). */
export interface PacmanDependency {
  name: string;
  operator: PacmanDepOperator | undefined;
  version: string | undefined;
  /** The text after `: ` (optdepends). */
  description: string | undefined;
}

/**
 * Parses a dependency string as alpm does: an optional `: description`, then the first `<`, `>` or
 * `=` starts the operator; everything before it is the name.
 */
export function parsePacmanDependency(text: string): PacmanDependency {
  const colon = text.indexOf(': ');
  const description = colon < 0 ? undefined : text.slice(colon + 2);
  const spec = colon < 0 ? text : text.slice(0, colon);
  const at = spec.search(/[<>=]/);
  if (at < 0) return { name: spec, operator: undefined, version: undefined, description };
  const operator = (['>=', '<=', '=', '>', '<'] as const).find((op) => spec.startsWith(op, at))!;
  return { name: spec.slice(0, at), operator, version: spec.slice(at + operator.length), description };
}

/** Formats a dependency back (`name>=1.0`), without its description. */
export function formatPacmanDependency(dep: PacmanDependency): string {
  return dep.operator === undefined ? dep.name : `${dep.name}${dep.operator}${dep.version ?? ''}`;
}

/** Whether `version` meets `operator wanted` (vercmp order: a release is compared only when both have one). */
export function versionSatisfies(
  version: string,
  operator: PacmanDepOperator | undefined,
  wanted: string | undefined,
): boolean {
  if (operator === undefined || wanted === undefined) return true;
  const order = comparePacmanVersions(version, wanted);
  switch (operator) {
    case '=':
      return order === 0;
    case '>=':
      return order >= 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '<':
      return order < 0;
  }
}

/** What a package offers to dependency matching: its own name and version, and its provides. */
export interface PacmanProvider {
  name: string;
  version: string;
  provides: readonly PacmanDependency[];
}

/**
 * Whether a package satisfies a dependency: by its own name and version, or by a provide of that
 * name — a provide without a version satisfies only an unversioned dependency.
 */
export function packageSatisfies(pkg: PacmanProvider, dep: PacmanDependency): boolean {
  if (pkg.name === dep.name && versionSatisfies(pkg.version, dep.operator, dep.version)) return true;
  return pkg.provides.some(
    (p) =>
      p.name === dep.name &&
      (dep.operator === undefined ||
        (p.operator !== undefined &&
          p.version !== undefined &&
          versionSatisfies(p.version, dep.operator, dep.version))),
  );
}
