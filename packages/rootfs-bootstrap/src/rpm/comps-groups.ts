import { repodataXmlParser, type XmlNode } from './repodata-xml.js';
import { ControlSyntaxError, UnsatisfiableError } from '../errors.js';

/** How a group lists a package (comps.xml `packagereq type=`). */
export type CompsPackageType = 'mandatory' | 'default' | 'optional' | 'conditional';

/** One `<packagereq>`: `requires` names the package a conditional one depends on. */
export interface CompsPackageReq {
  name: string;
  type: CompsPackageType;
  requires?: string;
}

/** A comps.xml `<group>`. */
export interface CompsGroup {
  id: string;
  /** The untranslated `<name>`. */
  name: string;
  description: string;
  isDefault: boolean;
  userVisible: boolean;
  packages: CompsPackageReq[];
}

/** A comps.xml `<environment>` (`@^id`): groups, plus optional ones. */
export interface CompsEnvironment {
  id: string;
  name: string;
  description: string;
  groups: string[];
  optionalGroups: string[];
}

/** Everything a source's comps.xml files define. */
export interface CompsData {
  groups: CompsGroup[];
  environments: CompsEnvironment[];
}

// Names and descriptions repeat per language.
const parser = repodataXmlParser(['group', 'environment', 'packagereq', 'groupid', 'name', 'description']);

/** Parses a comps.xml document (`origin` names it in errors). */
export function parseComps(xml: string, origin: string): CompsData {
  let doc: XmlNode;
  try {
    doc = parser.parse(xml) as XmlNode;
  } catch (cause) {
    throw new ControlSyntaxError(`${origin}: not a comps.xml document (${(cause as Error).message})`, {
      path: origin,
      cause,
    });
  }
  const comps = doc.comps as XmlNode | undefined;
  if (!comps || typeof comps !== 'object')
    throw new ControlSyntaxError(`${origin}: no <comps> element`, { path: origin });
  const groups = ((comps.group ?? []) as XmlNode[]).map((g): CompsGroup => {
    const list = (g.packagelist ?? {}) as XmlNode;
    return {
      id: text(g.id),
      name: untranslated(g.name),
      description: untranslated(g.description),
      isDefault: text(g.default) === 'true',
      userVisible: text(g.uservisible) !== 'false',
      packages: ((list.packagereq ?? []) as unknown[]).map((p) => packageReq(p, origin)),
    };
  });
  const environments = ((comps.environment ?? []) as XmlNode[]).map(
    (e): CompsEnvironment => ({
      id: text(e.id),
      name: untranslated(e.name),
      description: untranslated(e.description),
      groups: groupIds(e.grouplist),
      optionalGroups: groupIds(e.optionlist),
    }),
  );
  for (const item of [...groups, ...environments]) {
    if (!item.id) throw new ControlSyntaxError(`${origin}: a group or environment without <id>`, { path: origin });
  }
  return { groups, environments };
}

/**
 * Merges the comps of several files (a repository's BaseOS and AppStream, say) as dnf does: a group
 * defined twice gets the union of its package lists (first definition wins per package name).
 */
export function mergeComps(parts: readonly CompsData[]): CompsData {
  const groups = new Map<string, CompsGroup>();
  const environments = new Map<string, CompsEnvironment>();
  for (const part of parts) {
    for (const g of part.groups) {
      const seen = groups.get(g.id);
      if (!seen) groups.set(g.id, { ...g, packages: [...g.packages] });
      else for (const p of g.packages) if (!seen.packages.some((q) => q.name === p.name)) seen.packages.push(p);
    }
    for (const e of part.environments) {
      const seen = environments.get(e.id);
      if (!seen) environments.set(e.id, { ...e, groups: [...e.groups], optionalGroups: [...e.optionalGroups] });
      else {
        seen.groups = [...new Set([...seen.groups, ...e.groups])];
        seen.optionalGroups = [...new Set([...seen.optionalGroups, ...e.optionalGroups])];
      }
    }
  }
  const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { groups: [...groups.values()].sort(byId), environments: [...environments.values()].sort(byId) };
}

/** Which package types of a group get installed (dnf's `group_package_types`; conditional ones always apply). */
export const COMPS_PACKAGE_TYPES = ['mandatory', 'default', 'optional'] as const;

/** What one `@group` (or `@^environment`) of `include` became. */
export interface GroupSelection {
  /** As written in `include`, e.g. `@minimal`. */
  request: string;
  /** Ids of the groups it named (an environment names several). */
  groups: string[];
  /** Packages it asks for that the source has, sorted. */
  packages: string[];
  /** Packages it lists that the source lacks (skipped with a note, as dnf does). */
  missing: string[];
  /** Conditional packages: installed when the package they name is. */
  conditional: { name: string; requires: string }[];
}

/**
 * Expands the `@group` / `@^environment` entries of `include` with comps data: a group is found by
 * id, else by name (case-insensitive); its packages of the requested types (plus conditional ones,
 * decided after resolution) that the source has are returned. An unknown group throws
 * `UnsatisfiableError`. Entries without `@` pass through unchanged.
 */
export function expandGroupIncludes(
  include: readonly string[],
  comps: CompsData,
  options: { types: readonly (typeof COMPS_PACKAGE_TYPES)[number][]; available: (name: string) => boolean },
): { names: string[]; selections: GroupSelection[] } {
  const names: string[] = [];
  const selections: GroupSelection[] = [];
  for (const entry of include) {
    if (!entry.startsWith('@')) {
      names.push(entry);
      continue;
    }
    const groups = groupsOf(entry, comps);
    const wanted = new Set<string>();
    const conditional = new Map<string, string>();
    for (const g of groups) {
      for (const p of g.packages) {
        if (p.type === 'conditional') {
          if (p.requires) conditional.set(p.name, p.requires);
        } else if ((options.types as readonly string[]).includes(p.type)) wanted.add(p.name);
      }
    }
    const packages = [...wanted].filter(options.available).sort();
    selections.push({
      request: entry,
      groups: groups.map((g) => g.id),
      packages,
      missing: [...wanted, ...conditional.keys()].filter((n) => !options.available(n)).sort(),
      conditional: [...conditional]
        .filter(([n]) => options.available(n))
        .map(([name, requires]) => ({ name, requires }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    });
    names.push(...packages);
  }
  return { names: [...new Set(names)], selections };
}

function groupsOf(entry: string, comps: CompsData): CompsGroup[] {
  const environment = entry.startsWith('@^');
  const ref = entry.slice(environment ? 2 : 1);
  const find = <T extends { id: string; name: string }>(list: readonly T[]): T | undefined =>
    list.find((g) => g.id === ref) ?? list.find((g) => g.name.toLowerCase() === ref.toLowerCase());
  if (environment) {
    const env = find(comps.environments);
    if (!env)
      throw noSuchGroup(
        entry,
        comps.environments.map((e) => `@^${e.id}`),
      );
    return env.groups
      .map((id) => comps.groups.find((g) => g.id === id))
      .filter((g): g is CompsGroup => g !== undefined);
  }
  const group = find(comps.groups);
  if (!group)
    throw noSuchGroup(
      entry,
      comps.groups.map((g) => `@${g.id}`),
    );
  return [group];
}

function noSuchGroup(entry: string, known: string[]): UnsatisfiableError {
  return new UnsatisfiableError(
    [entry],
    known.length
      ? `no such group in the source's comps.xml (it has ${[...known].sort().join(', ')})`
      : 'the source has no comps.xml (package groups)',
    {
      hint: 'list the groups with their ids from comps.xml, or name the packages instead',
    },
  );
}

function packageReq(node: unknown, origin: string): CompsPackageReq {
  const p = (typeof node === 'object' && node !== null ? node : { '#text': node }) as XmlNode;
  const name = text(p['#text']);
  const type = (text(p.type) || 'mandatory') as CompsPackageType;
  if (!name || !['mandatory', 'default', 'optional', 'conditional'].includes(type)) {
    throw new ControlSyntaxError(`${origin}: bad <packagereq> ${JSON.stringify(p)}`, { path: origin });
  }
  return { name, type, ...(p.requires ? { requires: text(p.requires) } : {}) };
}

function groupIds(list: unknown): string[] {
  const node = (list ?? {}) as XmlNode;
  return ((node.groupid ?? []) as unknown[])
    .map((g) => text(typeof g === 'object' && g !== null ? (g as XmlNode)['#text'] : g))
    .filter(Boolean);
}

/** The `<name>`/`<description>` without `xml:lang` (the first one when all are translated). */
function untranslated(values: unknown): string {
  const list = (values ?? []) as unknown[];
  const plain = list.find((v) => typeof v !== 'object' || v === null || !('xml:lang' in v)) ?? list[0];
  return text(typeof plain === 'object' && plain !== null ? (plain as XmlNode)['#text'] : plain);
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}
