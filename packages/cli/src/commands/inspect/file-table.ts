import { humanSize, modeString, type Table } from '../inspect-render.js';

/** One member of an archive or image for the file table. */
export interface FileRow {
  /** st_mode with its type bits. */
  mode: number;
  size: number;
  path: string;
  /** Symlink target, hard link name or device numbers, shown after the path. */
  note?: string;
}

/** The aligned mode / size / path table every archive and image kind shares. */
export function fileTable(rows: readonly FileRow[]): Table {
  return {
    columns: [{ title: 'mode' }, { title: 'size', align: 'right' }, { title: 'path' }],
    rows: rows.map((r) => [modeString(r.mode), humanSize(r.size), r.note ? `${r.path} ${r.note}` : r.path]),
  };
}

/** `N files, M directories, X in files`. */
export function countsText(rows: readonly FileRow[]): string {
  const files = rows.filter((r) => (r.mode & 0o170000) === 0o100000);
  const dirs = rows.filter((r) => (r.mode & 0o170000) === 0o040000).length;
  const links = rows.filter((r) => (r.mode & 0o170000) === 0o120000).length;
  const bytes = files.reduce((n, r) => n + r.size, 0);
  return `${plural(files.length, 'file')}, ${plural(dirs, 'directory', 'directories')}, ${plural(links, 'symlink')}; ${humanSize(bytes)} in files`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
