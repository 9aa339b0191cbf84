import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError } from '../errors.js';
import { builtInventory } from '../inventory/built-inventory.js';
import { imageFileInventory } from '../inventory/image-file-inventory.js';
import { sizeBreakdown, type SizeBreakdown } from '../inventory/size-breakdown.js';
import { loadProfile } from '../profile/load-profile.js';
import { profilePaths } from '../profile/profile-paths.js';
import { humanSize } from './inspect-render.js';

/** What `inspect --sizes` reports: the breakdown, and where it was read. */
export interface SizesReport extends SizeBreakdown {
  target: string;
  /** `the last build of PROFILE`, `squashfs image`, `/live/filesystem.squashfs in the ISO`... */
  source: string;
  notes: string[];
}

export interface SizesOptions {
  top?: number;
  depth?: number;
  /** A profile's output and state folders, when not the defaults (as `build --out/--state`). */
  out?: string;
  state?: string;
  signal?: AbortSignal;
}

/**
 * `inspect --sizes TARGET`: a profile directory (or its profile.yaml) is read from its last build
 * (the inventory stage's inventory.json, else its final tree); an image file (squashfs, EROFS,
 * ISO, raw disk) from its own package database, extracted in part to a temporary folder.
 */
export async function inspectSizes(target: string, options: SizesOptions = {}): Promise<SizesReport> {
  const info = await stat(target).catch((cause: unknown) => {
    throw new CliError('ERR_INSPECT_UNREADABLE', `cannot read ${target}: ${(cause as Error).message}`, {
      path: target,
      cause,
    });
  });
  const shape = { top: options.top ?? 20, depth: options.depth ?? 3 };
  if (info.isDirectory() || /\.ya?ml$/.test(target)) {
    const loaded = await loadProfile(target);
    const paths = profilePaths(loaded.dir, {
      ...(options.out ? { out: options.out } : {}),
      ...(options.state ? { state: options.state } : {}),
    });
    const inventory = await builtInventory(paths);
    if (!inventory && loaded.profile.source.type === 'busybox')
      throw new CliError('ERR_INVENTORY_UNREADABLE', `${loaded.profile.name}: a busybox build has no package root`, {
        path: loaded.dir,
        hint: 'inspect --sizes reads builds from apt, RPM or pacman sources',
      });
    if (!inventory)
      throw new CliError(
        'ERR_INVENTORY_UNREADABLE',
        `${loaded.profile.name} has not been built (or its state was cleaned)`,
        {
          path: paths.outDir,
          hint: `build it first: distroforge build ${target}${options.out ? ` --out ${options.out}` : ''}${options.state ? ` --state ${options.state}` : ''}`,
        },
      );
    return {
      target: resolve(target),
      source: `the last build of ${loaded.profile.name}`,
      notes: [],
      ...sizeBreakdown(inventory, shape),
    };
  }
  const read = await imageFileInventory(target, options.signal);
  return { target: resolve(target), source: read.source, notes: read.notes, ...sizeBreakdown(read.inventory, shape) };
}

/** The report as text for a terminal or a CI log: totals, then aligned tables. */
export function renderSizes(report: SizesReport): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const lines = [
    `${report.target}: ${report.source}, ${report.format} packages`,
    `  total        ${humanSize(report.totalBytes)} in ${count(report.files)} files`,
    `  in packages  ${humanSize(report.packageBytes)} (${count(report.packageCount)} packages)`,
    `  no package   ${humanSize(report.unownedBytes)} in ${count(report.unownedFiles)} files`,
    ...report.notes.map((n) => `  note: ${n}`),
    '',
    `Top ${report.packages.length} packages by installed size`,
    ...table(
      ['SIZE', 'FILES', 'PACKAGE', 'VERSION'],
      report.packages.map((p) => [humanSize(p.bytes), count(p.files), p.name, `${p.version} ${p.architecture}`]),
    ),
    '',
    `Top ${report.directories.length} folders (${report.depth} levels deep)`,
    ...table(
      ['SIZE', 'FILES', 'FOLDER'],
      report.directories.map((d) => [humanSize(d.bytes), count(d.files), d.path]),
    ),
    '',
    `Biggest ${report.biggestFiles.length} files`,
    ...table(
      ['SIZE', 'FILE', 'PACKAGE'],
      report.biggestFiles.map((f) => [humanSize(f.bytes), f.path, f.package ?? '-']),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** Rows with columns padded to their widest cell; numeric columns (the first two) right-aligned. */
function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const numeric = (i: number) => i === 0 || (i === 1 && header[1] === 'FILES');
  return all.map((row) =>
    `  ${row
      .map((cell, i) =>
        i === row.length - 1 ? cell : numeric(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')}`.trimEnd(),
  );
}

/** The `inspect --sizes` command: the text report, or with `--json` the report as one JSON line. */
export async function runInspectSizes(
  target: string,
  args: { json: boolean; top?: string | undefined; out?: string | undefined; state?: string | undefined },
): Promise<number> {
  const top = args.top === undefined ? 20 : Number(args.top);
  if (!Number.isInteger(top) || top < 1)
    throw new CliError('ERR_USAGE', `--top ${args.top}: not a positive whole number`, {
      value: args.top,
      hint: 'e.g. --top 50',
    });
  const report = await inspectSizes(target, {
    top,
    ...(args.out ? { out: args.out } : {}),
    ...(args.state ? { state: args.state } : {}),
  });
  process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : renderSizes(report));
  return 0;
}
