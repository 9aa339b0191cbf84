/**
 * RPM version comparison, ported from rpm's `rpmvercmp` (lib/rpmvercmp.c) so that the choice of a
 * version and the matching of versioned dependencies agree with rpm and dnf exactly: segments of
 * digits compare numerically, of letters lexically, digits beat letters, `~` sorts before
 * everything (even the end of the string), `^` after the end but before any other segment.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]!) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]!) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const numeric = isDigit(a[i]!);
    const inSegment = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && inSegment(a[ei]!)) ei++;
    while (ej < b.length && inSegment(b[ej]!)) ej++;
    // A numeric segment is newer than an alphabetic one.
    if (ej === j) return numeric ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** An rpm `[epoch:]version[-release]`. */
export interface RpmEvr {
  epoch: number;
  version: string;
  /** `undefined` when the string has none (a dependency like `foo >= 1.2`). */
  release: string | undefined;
}

/** Splits `[epoch:]version[-release]` like rpm's `rpmverParse` (the release follows the last `-`). */
export function parseRpmEvr(text: string): RpmEvr {
  const colon = /^(\d+):/.exec(text);
  const epoch = colon ? Number(colon[1]) : 0;
  const rest = colon ? text.slice(colon[0].length) : text;
  const dash = rest.lastIndexOf('-');
  return dash < 0
    ? { epoch, version: rest, release: undefined }
    : { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

/** Formats an EVR as rpm prints it (`epoch:` only when non-zero). */
export function formatRpmEvr(evr: RpmEvr): string {
  return `${evr.epoch ? `${evr.epoch}:` : ''}${evr.version}${evr.release === undefined ? '' : `-${evr.release}`}`;
}

/**
 * Orders two `[epoch:]version[-release]` strings as rpm does (`rpm.vercmp`, rpmverCmp): a missing
 * epoch is 0, a missing release sorts before any release.
 */
export function compareRpmVersions(a: string, b: string): number {
  const x = parseRpmEvr(a);
  const y = parseRpmEvr(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return rpmvercmp(x.version, y.version) || rpmvercmp(x.release ?? '', y.release ?? '');
}

/** rpm's relation operators. */
export type RpmOperator = '<' | '<=' | '=' | '>=' | '>';

/** A versioned side of a dependency (a provide or a requirement); no operator means any version. */
export interface RpmRange {
  operator?: RpmOperator | undefined;
  evr?: string | undefined;
}

/**
 * Whether two ranges overlap, as rpm's `rpmdsCompare` decides when matching a provide against a
 * requirement: an unversioned side always matches; releases are compared only when both sides
 * state one (`foo >= 1.2` is met by `foo = 1.2-3`), and a side with a release and `=` then matches.
 */
export function rpmRangesOverlap(a: RpmRange, b: RpmRange): boolean {
  if (!a.operator || !a.evr || !b.operator || !b.evr) return true;
  const x = parseRpmEvr(a.evr);
  const y = parseRpmEvr(b.evr);
  let sense = x.epoch === y.epoch ? 0 : x.epoch < y.epoch ? -1 : 1;
  if (sense === 0) {
    sense = rpmvercmp(x.version, y.version);
    if (sense === 0) {
      if (x.release && y.release) sense = rpmvercmp(x.release, y.release);
      else if ((x.release && a.operator.includes('=')) || (y.release && b.operator.includes('='))) return true;
    }
  }
  const less = (op: RpmOperator) => op.startsWith('<');
  const greater = (op: RpmOperator) => op.startsWith('>');
  const equal = (op: RpmOperator) => op.includes('=');
  if (sense < 0) return greater(a.operator) || less(b.operator);
  if (sense > 0) return less(a.operator) || greater(b.operator);
  return (
    (equal(a.operator) && equal(b.operator)) ||
    (less(a.operator) && less(b.operator)) ||
    (greater(a.operator) && greater(b.operator))
  );
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);
