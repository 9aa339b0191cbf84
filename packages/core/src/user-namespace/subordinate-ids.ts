/** A range of host ids: `count` ids from `start`. */
export interface IdRange {
  start: number;
  count: number;
}

/**
 * The ranges `/etc/subuid` or `/etc/subgid` (text in `subuid(5)` form: `owner:start:count` per line)
 * grant a user, in file order. `owner` may be the user's name or its numeric id, as shadow's
 * newuidmap accepts both; comments, blank and malformed lines are skipped as newuidmap skips them.
 */
export function subordinateRanges(text: string, user: { name: string; id: number }): IdRange[] {
  const ranges: IdRange[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(':');
    if (fields.length !== 3 || line.trimStart().startsWith('#')) continue;
    const [owner, start, count] = fields as [string, string, string];
    if (owner !== user.name && owner !== String(user.id)) continue;
    if (!/^\d+$/.test(start) || !/^\d+$/.test(count)) continue;
    ranges.push({ start: Number(start), count: Number(count) });
  }
  return ranges;
}
