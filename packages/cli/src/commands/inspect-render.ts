/** A column of an aligned table: sizes and counts align right, text left. */
export interface Column {
  title: string;
  align?: 'left' | 'right';
}

export interface Table {
  columns: Column[];
  rows: string[][];
}

/** What `distroforge inspect` tells a person about a file: a title line, facts, tables, then the files. */
export interface HumanReport {
  /** What the file is, in a few words (`ISO 9660 image, 14.6 MiB`). */
  title: string;
  /** Label and value(s); a value of several lines continues under the first. */
  facts: [label: string, value: string | string[]][];
  /** Further tables with a heading (boot binaries, partitions, live images...). */
  sections: { heading: string; table: Table }[];
  /** The members: files of an archive or image, packages of a database. */
  files: { heading: string; table: Table };
}

/** 1536 -> `1.5 KiB`; bytes below 1 KiB as they are. Binary units, as du -h and ls -lh count. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  // 1023.5 KiB and more would print as `1024 KiB`: such a value moves up a unit too.
  while (value >= 1023.5 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** `rwxr-xr-x` from st_mode bits, with the type letter ls shows (`-`, `d`, `l`, `c`, `b`, `p`, `s`). */
export function modeString(mode: number): string {
  const types: Record<number, string> = {
    0o140000: 's',
    0o120000: 'l',
    0o100000: '-',
    0o060000: 'b',
    0o040000: 'd',
    0o020000: 'c',
    0o010000: 'p',
  };
  const type = types[mode & 0o170000] ?? '?';
  const bits = 'rwxrwxrwx'.replace(/./g, (c, i: number) => (mode & (1 << (8 - i)) ? c : '-')).split('');
  const special = (index: number, bit: number, lower: string, upper: string) => {
    if (mode & bit) bits[index] = bits[index] === '-' ? upper : lower;
  };
  special(2, 0o4000, 's', 'S');
  special(5, 0o2000, 's', 'S');
  special(8, 0o1000, 't', 'T');
  return type + bits.join('');
}

/** Lines of a table whose columns line up; the last column is not padded (no trailing blanks). */
export function renderTable(table: Table, indent = '  '): string[] {
  const widths = table.columns.map((c, i) => Math.max(c.title.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    (
      indent +
      cells
        .map((cell, i) => {
          const last = i === cells.length - 1;
          if (table.columns[i]?.align === 'right') return cell.padStart(widths[i] ?? 0);
          return last ? cell : cell.padEnd(widths[i] ?? 0);
        })
        .join('  ')
    ).trimEnd();
  return [
    line(table.columns.map((c) => c.title)),
    ...table.rows.map((r) => line(table.columns.map((_, i) => r[i] ?? ''))),
  ];
}

/**
 * A long comma-separated list (dependencies, provides) broken after its commas so each line fits
 * in `room` columns; other text, and a single item longer than the room, stay whole.
 */
export function wrapList(text: string, room: number): string[] {
  if (text.length <= room || !text.includes(', ')) return [text];
  const lines: string[] = [];
  let line = '';
  for (const item of text.split(', ')) {
    const next = line === '' ? item : `${line}, ${item}`;
    if (line !== '' && next.length + 1 > room) {
      lines.push(`${line},`);
      line = item;
    } else line = next;
  }
  lines.push(line);
  return lines;
}

/**
 * The report as text: the title, the facts with their values aligned, each section, then the
 * file table (left out with `summaryOnly`). Bold headings only on a terminal that allows colour;
 * long lists wrap to `width` columns (the terminal's, else 100).
 */
export function renderReport(
  file: string,
  report: HumanReport,
  options: { summaryOnly?: boolean; tty?: boolean; width?: number } = {},
): string {
  const heading = (text: string) => (options.tty ? `\x1b[1m${text}\x1b[22m` : text);
  const out = [heading(`${file}: ${report.title}`)];
  const width = Math.max(0, ...report.facts.map(([label]) => label.length));
  for (const [label, value] of report.facts) {
    const room = (options.width ?? 100) - width - 4;
    const lines = (typeof value === 'string' ? [value] : value.length > 0 ? value : ['none']).flatMap((text) =>
      wrapList(text, room),
    );
    lines.forEach((text, i) => {
      out.push(`  ${(i === 0 ? label : '').padEnd(width)}  ${text}`.trimEnd());
    });
  }
  const blocks = [...report.sections, ...(options.summaryOnly ? [] : [report.files])];
  for (const { heading: title, table } of blocks) {
    if (table.rows.length === 0) continue;
    out.push('', heading(title), ...renderTable(table));
  }
  return `${out.join('\n')}\n`;
}
