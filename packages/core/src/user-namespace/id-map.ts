/** One line of a `uid_map`/`gid_map`: `count` ids from `inside` are host ids from `outside`. */
export interface IdMapping {
  inside: number;
  outside: number;
  count: number;
}

/** The id maps of a user namespace. */
export interface UserNamespaceIds {
  uid: readonly IdMapping[];
  gid: readonly IdMapping[];
}

/** The id a process inside the namespace sees for host id `outside`, or undefined when unmapped. */
export function insideId(map: readonly IdMapping[], outside: number): number | undefined {
  for (const m of map)
    if (outside >= m.outside && outside < m.outside + m.count) return m.inside + (outside - m.outside);
  return undefined;
}

/** The host id of id `inside` of the namespace, or undefined when unmapped. */
export function outsideId(map: readonly IdMapping[], inside: number): number | undefined {
  for (const m of map) if (inside >= m.inside && inside < m.inside + m.count) return m.outside + (inside - m.inside);
  return undefined;
}

/** The text of a `uid_map`/`gid_map` file (also newuidmap's argument list, flattened). */
export function idMapText(map: readonly IdMapping[]): string {
  return map.map((m) => `${m.inside} ${m.outside} ${m.count}\n`).join('');
}
