import { ControlSyntaxError } from '../errors.js';

/** A Debian version split into its three parts (Debian policy 5.6.12). */
export interface DebVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

const VERSION_RE = /^(?:(\d+):)?([A-Za-z0-9][A-Za-z0-9.+~:-]*?)(?:-([A-Za-z0-9.+~]+))?$/;

/** Splits `[epoch:]upstream[-revision]`; throws ERR_BOOTSTRAP_CONTROL_SYNTAX on malformed input. */
export function parseDebVersion(version: string): DebVersion {
  const m = VERSION_RE.exec(version.trim());
  if (!m) throw new ControlSyntaxError(`invalid Debian version ${JSON.stringify(version)}`, { value: version });
  return { epoch: m[1] === undefined ? 0 : Number(m[1]), upstream: m[2] ?? '', revision: m[3] ?? '' };
}

/** Sort weight of one character in the non-digit parts: `~` sorts before everything, even the end. */
function order(c: number | undefined): number {
  if (c === undefined) return 0;
  if (c === 0x7e) return -1; // ~
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return c; // letters
  return c + 256; // everything else after letters
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** dpkg's `verrevcmp`: alternating non-digit and digit runs. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = i < a.length && !isDigit(a.charCodeAt(i)) ? order(a.charCodeAt(i)) : 0;
      const bc = j < b.length && !isDigit(b.charCodeAt(j)) ? order(b.charCodeAt(j)) : 0;
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 0x30) i++;
    while (b.charCodeAt(j) === 0x30) j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Compares two Debian versions per policy: negative, 0 or positive like a sort comparator. */
export function compareDebVersions(a: string, b: string): number {
  if (a === b) return 0;
  const va = parseDebVersion(a);
  const vb = parseDebVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  const up = compareFragment(va.upstream, vb.upstream);
  if (up !== 0) return Math.sign(up);
  return Math.sign(compareFragment(va.revision, vb.revision));
}
