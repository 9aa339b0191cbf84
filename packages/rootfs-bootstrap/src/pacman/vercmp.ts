/**
 * alpm's version order (pacman's `vercmp`), written from its documented behaviour and checked
 * against Debian's pacman (test/pacman-vercmp.test.ts). It differs from rpm's current rpmvercmp
 * (rpm-version.ts): no `~`/`^` rules, the length of a separator run counts, and a missing epoch is
 * always 0. Strings are compared as UTF-8 bytes in the C locale, as alpm does.
 */

/** A pacman `[epoch:]version[-release]`; epoch and release as written (compared as segments too). */
export interface PacmanEvr {
  epoch: string;
  version: string;
  /** `undefined` when there is no `-` (a dependency such as `foo>=1.2`). */
  release: string | undefined;
}

/**
 * Splits `[epoch:]version[-release]`: the epoch is a run of leading digits ended by `:` (an empty
 * one is 0), the release follows the last `-`.
 */
export function parsePacmanEvr(text: string): PacmanEvr {
  const digits = /^\d*/.exec(text)![0].length;
  const hasEpoch = text[digits] === ':';
  const epoch = hasEpoch && digits > 0 ? text.slice(0, digits) : '0';
  const rest = hasEpoch ? text.slice(digits + 1) : text;
  const dash = rest.lastIndexOf('-');
  return dash < 0
    ? { epoch, version: rest, release: undefined }
    : { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

/**
 * Orders two full version strings as `vercmp` does: epochs first, then versions, then releases
 * only when both have one (`1.5` equals `1.5-3`). Returns -1, 0 or 1.
 */
export function comparePacmanVersions(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const x = parsePacmanEvr(a);
  const y = parsePacmanEvr(b);
  const epoch = compareVersionSegments(x.epoch, y.epoch);
  if (epoch !== 0) return epoch;
  const version = compareVersionSegments(x.version, y.version);
  if (version !== 0 || x.release === undefined || y.release === undefined) return version;
  return compareVersionSegments(x.release, y.release);
}

const encoder = new TextEncoder();
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isAlpha = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));
const isAlnum = (c: number | undefined): boolean => isDigit(c) || isAlpha(c);

/**
 * One component (epoch, version or release) compared segment by segment: maximal runs of digits
 * (numerically) or letters (bytewise), a digit run beating a letter run; runs of other bytes
 * separate segments and a longer separator run is newer. When one side runs out, a trailing letter
 * segment is older than nothing (`1.0rc < 1.0`) and anything else newer (`1.0 < 1.0.a`).
 */
export function compareVersionSegments(left: string, right: string): -1 | 0 | 1 {
  if (left === right) return 0;
  const a = encoder.encode(left);
  const b = encoder.encode(right);
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const separatorStartA = i;
    const separatorStartB = j;
    while (i < a.length && !isAlnum(a[i])) i++;
    while (j < b.length && !isAlnum(b[j])) j++;
    if (i >= a.length || j >= b.length) break;
    const separatorA = i - separatorStartA;
    const separatorB = j - separatorStartB;
    if (separatorA !== separatorB) return separatorA < separatorB ? -1 : 1;
    const numeric = isDigit(a[i]);
    const inSegment = numeric ? isDigit : isAlpha;
    let endA = i;
    let endB = j;
    while (endA < a.length && inSegment(a[endA])) endA++;
    while (endB < b.length && inSegment(b[endB])) endB++;
    // The right side has a segment of the other kind here: digits are newer than letters.
    if (endB === j) return numeric ? 1 : -1;
    if (numeric) {
      while (i < endA && a[i] === 0x30) i++;
      while (j < endB && b[j] === 0x30) j++;
      if (endA - i !== endB - j) return endA - i < endB - j ? -1 : 1;
    }
    const order = compareBytes(a.subarray(i, endA), b.subarray(j, endB));
    if (order !== 0) return order;
    i = endA;
    j = endB;
  }
  const restA = i < a.length;
  const restB = j < b.length;
  if (!restA && !restB) return 0;
  return (!restA && !isAlpha(b[j])) || (restA && isAlpha(a[i])) ? -1 : 1;
}

function compareBytes(a: Uint8Array, b: Uint8Array): -1 | 0 | 1 {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return a[k]! < b[k]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
