import type { ReportFile, ReportInventory } from './report-inventory.js';

/** A rectangle of the size map: a package or a directory, split into its directories. */
export interface SizeNode {
  key: string;
  label: string;
  bytes: number;
  kind: 'package' | 'directory' | 'unowned' | 'rest';
  children: { label: string; bytes: number }[];
}

export interface SizeModel {
  totalBytes: number;
  byPackage: SizeNode[];
  byDirectory: SizeNode[];
  biggestFiles: { path: string; bytes: number; owner: string | undefined }[];
  /** What the packages' sizes add up to beyond the total: files two packages list, counted once in the total. */
  overcountedBytes: number;
}

export const UNOWNED = '(no package)';

/** How many rectangles a map shows before folding the smallest into one "N more" rectangle. */
const MAP_NODES = 120;
const NODE_CHILDREN = 8;
const BIGGEST_FILES = 20;
/** How deep a rectangle's split into directories may go. */
const MAX_DEPTH = 7;

/**
 * The size map's numbers from an inventory: the root by package (each split by directory), the
 * root by directory (each split by its subdirectories) and the biggest files. The rectangles of
 * each map add up to the inventory's total exactly: what is folded away is summed, never dropped.
 */
export function sizeModel(inventory: ReportInventory): SizeModel {
  const unownedBytes = sum(inventory.unowned);
  const packages: SizeNode[] = inventory.packages.map((p) => ({
    key: p.name,
    label: p.name,
    bytes: p.installedBytes,
    kind: 'package',
    children: splitByDirectory(p.files, 3),
  }));
  if (unownedBytes > 0)
    packages.push({
      key: UNOWNED,
      label: UNOWNED,
      bytes: unownedBytes,
      kind: 'unowned',
      children: splitByDirectory(inventory.unowned, 3),
    });
  const accounted = packages.reduce((s, n) => s + n.bytes, 0);
  packages.push(...rest(inventory.totalBytes - accounted));
  const files: { path: string; bytes: number; owner: string | undefined }[] = [
    ...inventory.packages.flatMap((p) => p.files.map((f) => ({ path: f.path, bytes: f.bytes, owner: p.name }))),
    ...inventory.unowned.map((f) => ({ path: f.path, bytes: f.bytes, owner: undefined })),
  ];
  const byDirectory = new Map<string, ReportFile[]>();
  for (const f of files) {
    const dir = prefix(f.path, 2);
    const list = byDirectory.get(dir) ?? [];
    list.push(f);
    byDirectory.set(dir, list);
  }
  const directories: SizeNode[] = [...byDirectory].map(([dir, list]) => ({
    key: dir,
    label: dir,
    bytes: sum(list),
    kind: 'directory',
    children: splitByDirectory(list, 3),
  }));
  directories.push(...rest(inventory.totalBytes - directories.reduce((s, n) => s + n.bytes, 0)));
  return {
    totalBytes: inventory.totalBytes,
    overcountedBytes: Math.max(0, accounted - inventory.totalBytes),
    byPackage: fold(packages.filter((n) => n.bytes > 0)),
    byDirectory: fold(directories.filter((n) => n.bytes > 0)),
    biggestFiles: files.sort(bySizeThen((f) => f.path)).slice(0, BIGGEST_FILES),
  };
}

/**
 * Bytes of the total that no package or unowned file accounts for, as one rectangle, so a map's
 * rectangles add up to the total (none when the lists add up, or to more).
 */
function rest(bytes: number): SizeNode[] {
  return bytes > 0 ? [{ key: '(not listed)', label: '(not listed)', bytes, kind: 'rest', children: [] }] : [];
}

/** The largest nodes first; past MAP_NODES, the rest as one rectangle with their summed size. */
function fold(nodes: SizeNode[]): SizeNode[] {
  const sorted = nodes.sort(bySizeThen((n) => n.key));
  if (sorted.length <= MAP_NODES) return sorted;
  const rest = sorted.slice(MAP_NODES - 1);
  return [
    ...sorted.slice(0, MAP_NODES - 1),
    {
      key: '(rest)',
      label: `${rest.length} smaller`,
      bytes: rest.reduce((s, n) => s + n.bytes, 0),
      kind: 'rest',
      children: [],
    },
  ];
}

/**
 * Files split by directory `depth` components deep, deeper while one directory holds most of the
 * bytes (a kernel package is all /usr/lib/modules: its split is drivers, fs, net... further down).
 */
function splitByDirectory(files: readonly ReportFile[], depth: number): { label: string; bytes: number }[] {
  const total = files.reduce((s, f) => s + f.bytes, 0);
  let groups = topGroups(files, (path) => prefix(path, depth));
  for (let d = depth + 1; d <= MAX_DEPTH && (groups[0]?.bytes ?? 0) > 0.8 * total; d++) {
    const deeper = topGroups(files, (path) => prefix(path, d));
    // The big directory holds its files itself: going deeper would only rename the others.
    if (deeper[0]?.label === groups[0]?.label) break;
    groups = deeper;
  }
  return groups;
}

/** Files grouped by `group(path)`, largest first; past NODE_CHILDREN, the rest as "N more". */
function topGroups(files: readonly ReportFile[], group: (path: string) => string): { label: string; bytes: number }[] {
  const sizes = new Map<string, number>();
  for (const f of files) {
    const label = group(f.path);
    sizes.set(label, (sizes.get(label) ?? 0) + f.bytes);
  }
  const sorted = [...sizes]
    .map(([label, bytes]) => ({ label, bytes }))
    .filter((g) => g.bytes > 0)
    .sort(bySizeThen((g) => g.label));
  if (sorted.length <= NODE_CHILDREN) return sorted;
  const rest = sorted.slice(NODE_CHILDREN - 1);
  return [
    ...sorted.slice(0, NODE_CHILDREN - 1),
    { label: `${rest.length} more`, bytes: rest.reduce((s, g) => s + g.bytes, 0) },
  ];
}

/** The directory of `path` cut to at most `depth` components: `/usr/share/doc/x/y` → `/usr/share/doc`. */
export function prefix(path: string, depth: number): string {
  // A tree's paths are clean ('/a/b/name'): cut at the separator ending the depth-th directory,
  // without splitting the path (a report groups every file of the image several times over).
  if (path.charCodeAt(0) !== 0x2f || path.endsWith('/') || path.includes('//')) return spelledPrefix(path, depth);
  const nameStart = path.lastIndexOf('/');
  let end = 0;
  for (let k = 0; k < depth; k++) {
    const next = path.indexOf('/', end + 1);
    if (next === -1 || next > nameStart) break;
    end = next;
  }
  return end === 0 ? '/' : path.slice(0, end);
}

/** `prefix` of any spelling: empty components (a leading, doubled or trailing '/') do not count. */
function spelledPrefix(path: string, depth: number): string {
  const dirs = path.split('/').filter(Boolean).slice(0, -1);
  return `/${dirs.slice(0, depth).join('/')}`;
}

function sum(files: readonly { bytes: number }[]): number {
  return files.reduce((s, f) => s + f.bytes, 0);
}

function bySizeThen<T extends { bytes: number }>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => b.bytes - a.bytes || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}
