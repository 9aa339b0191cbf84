import type { ReportBuild } from './report-build.js';
import { esc, formatBytes, formatCount } from './html.js';
import type { ReportInventory } from './report-inventory.js';

/** One row of the package table. */
export interface PackageRow {
  name: string;
  version: string;
  architecture?: string | undefined;
  license?: string | undefined;
  sourcePackage?: string | undefined;
  sha256?: string | undefined;
  installedBytes?: number | undefined;
  /** The package's estimated share of the compressed root image (see `compressedShare`). */
  compressedBytes?: number | undefined;
}

/**
 * The package table's rows: from the image's inventory when there is one (every installed
 * package, with the digest the build verified where it has it), else the build report's list.
 */
export function packageRows(
  report: ReportBuild,
  inventory: ReportInventory | undefined,
  imageBytes?: number,
  sampled?: Readonly<Record<string, number>>,
): PackageRow[] {
  const digests = new Map(report.packages.map((p) => [p.name, p.sha256]));
  if (!inventory)
    return report.packages
      .map((p) => ({ name: p.name, version: p.version, ...(p.sha256 ? { sha256: p.sha256 } : {}) }))
      .sort((a, b) => compare(a.name, b.name));
  const shares = sampled
    ? new Map(Object.entries(sampled))
    : imageBytes === undefined
      ? undefined
      : compressedShare(inventory, imageBytes);
  return inventory.packages
    .map((p) => ({
      name: p.name,
      version: p.version,
      architecture: p.architecture,
      license: p.license,
      sourcePackage: p.sourcePackage,
      sha256: p.sha256 ?? (digests.get(p.name) || undefined),
      installedBytes: p.installedBytes,
      compressedBytes: shares?.get(p.name),
    }))
    .sort((a, b) => compare(a.name, b.name));
}

/**
 * Each package's share of the compressed root image, estimated in proportion to its installed
 * bytes (squashfs and EROFS compress blocks of many files together, so no per-file size exists).
 */
export function compressedShare(inventory: ReportInventory, imageBytes: number): Map<string, number> {
  const ratio = inventory.totalBytes > 0 ? imageBytes / inventory.totalBytes : 0;
  return new Map(inventory.packages.map((p) => [p.name, Math.round(p.installedBytes * ratio)]));
}

/** The table with a filter box (the page's script hides rows that do not match) and sortable columns. */
export function renderPackageTable(rows: readonly PackageRow[], withSizes: boolean): string {
  const body = rows
    .map((r) => {
      const cells = [
        `<td>${esc(r.name)}</td>`,
        `<td class="mono">${esc(r.version)}</td>`,
        `<td>${esc(r.architecture ?? '')}</td>`,
        `<td>${esc(r.license ?? '')}</td>`,
        `<td>${esc(r.sourcePackage ?? '')}</td>`,
        ...(withSizes
          ? [
              `<td class="n" data-sort="${r.installedBytes ?? 0}">${r.installedBytes === undefined ? '' : esc(formatBytes(r.installedBytes))}</td>`,
              `<td class="n" data-sort="${r.compressedBytes ?? 0}">${r.compressedBytes === undefined ? '' : `≈ ${esc(formatBytes(r.compressedBytes))}`}</td>`,
            ]
          : []),
        `<td class="mono" title="${esc(r.sha256 ?? '')}">${r.sha256 ? `${esc(r.sha256.slice(0, 12))}…` : ''}</td>`,
      ];
      return `<tr data-package="${esc(r.name)}">${cells.join('')}</tr>`;
    })
    .join('');
  const headers = [
    'package',
    'version',
    'arch',
    'licence',
    'source',
    ...(withSizes ? ['installed', 'compressed (est.)'] : []),
    'sha256',
  ];
  return `<p><label>Filter <input id="package-filter" type="search" placeholder="name, version, licence, source…" autocomplete="off"></label> <span id="package-count" data-total="${rows.length}">${formatCount(rows.length)} packages</span></p>
<table class="data sortable" id="package-table"><thead><tr>${headers.map((h, i) => `<th data-column="${i}" tabindex="0">${esc(h)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
