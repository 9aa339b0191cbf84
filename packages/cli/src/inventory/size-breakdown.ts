import type { ImageInventory } from './image-inventory.js';

export interface SizeBreakdown {
  format: ImageInventory['format'];
  totalBytes: number;
  files: number;
  packageCount: number;
  /** Bytes in files some package owns, and in files none does. */
  packageBytes: number;
  unownedBytes: number;
  unownedFiles: number;
  /** The biggest packages by installed bytes (ties by name). */
  packages: { name: string; version: string; architecture: string; bytes: number; files: number }[];
  /**
   * The biggest folders `depth` levels deep (files in shallower folders count for their own
   * folder): every file counts in exactly one, so the rows of all folders add up to the total.
   */
  directories: { path: string; bytes: number; files: number }[];
  /** The biggest regular files, with the package that owns each (absent: none). */
  biggestFiles: { path: string; bytes: number; package?: string }[];
  depth: number;
}

/** The size breakdown `inspect --sizes` prints: totals, the top packages, folders and files. */
export function sizeBreakdown(
  inventory: ImageInventory,
  options: { top?: number; depth?: number } = {},
): SizeBreakdown {
  const top = options.top ?? 20;
  const depth = options.depth ?? 3;
  const owner = new Map<string, string>();
  for (const p of inventory.packages) for (const f of p.files) owner.set(f.path, p.name);
  const all = [...inventory.packages.flatMap((p) => p.files), ...inventory.unowned];
  const folders = new Map<string, { bytes: number; files: number }>();
  for (const f of all) {
    const parts = f.path.split('/').slice(1, -1).slice(0, depth);
    const folder = `/${parts.join('/')}`;
    const row = folders.get(folder) ?? { bytes: 0, files: 0 };
    row.bytes += f.bytes;
    row.files += 1;
    folders.set(folder, row);
  }
  const byBytes =
    <T extends { bytes: number }>(key: (x: T) => string) =>
    (a: T, b: T) =>
      b.bytes - a.bytes || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  const packageBytes = inventory.packages.reduce((n, p) => n + p.installedBytes, 0);
  return {
    format: inventory.format,
    totalBytes: inventory.totalBytes,
    files: all.length,
    packageCount: inventory.packages.length,
    packageBytes,
    unownedBytes: inventory.totalBytes - packageBytes,
    unownedFiles: inventory.unowned.length,
    packages: inventory.packages
      .map((p) => ({
        name: p.name,
        version: p.version,
        architecture: p.architecture,
        bytes: p.installedBytes,
        files: p.files.length,
      }))
      .sort(byBytes((p) => `${p.name}\0${p.architecture}`))
      .slice(0, top),
    directories: [...folders]
      .map(([path, row]) => ({ path, ...row }))
      .sort(byBytes((d) => d.path))
      .slice(0, top),
    biggestFiles: [...all]
      .sort(byBytes((f) => f.path))
      .slice(0, top)
      .map((f) => ({ ...f, ...(owner.has(f.path) ? { package: owner.get(f.path) as string } : {}) })),
    depth,
  };
}
