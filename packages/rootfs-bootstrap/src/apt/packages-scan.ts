import { ControlSyntaxError } from '../errors.js';
import { forEachLine } from './byte-lines.js';

/** The `Packages` fields resolution and installation need, in the order of a row. */
export const PACKAGES_FIELDS = [
  'Package',
  'Version',
  'Architecture',
  'Depends',
  'Pre-Depends',
  'Provides',
  'Essential',
  'Priority',
  'Multi-Arch',
  'Size',
  'Installed-Size',
  'SHA256',
  'Filename',
  'Recommends',
] as const;
export type PackagesField = (typeof PACKAGES_FIELDS)[number];

/** A paragraph's values of `PACKAGES_FIELDS`, by position (`null`: absent). */
export type PackagesRow = (string | null)[];

/** Position of each field in a row. */
export const FIELD_INDEX = Object.fromEntries(PACKAGES_FIELDS.map((f, i) => [f, i])) as Record<PackagesField, number>;

const WANTED = new Map<string, number>(PACKAGES_FIELDS.map((f, i) => [f, i]));
const WANTED_LENGTHS = new Set(PACKAGES_FIELDS.map((f) => f.length));

/**
 * Scans a `Packages` file as its (decompressed) bytes arrive, keeping only `PACKAGES_FIELDS` of each
 * paragraph: `onRow` gets one row per paragraph (multi-line values joined by a space, each line
 * trimmed), and the rest (descriptions, tags, checksums other than SHA-256: most of the ~45 MB of a
 * main index) is never made into strings. Only the current paragraph's row and an unfinished line
 * are held, whatever the size of the file. `onChunkEnd` runs after each chunk (see `forEachLine`).
 */
export async function scanPackages(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  where: string,
  onRow: (row: PackagesRow) => void,
  onChunkEnd?: () => Promise<void> | void,
): Promise<void> {
  let row: PackagesRow = emptyRow();
  let any = false;
  let last = -1;
  const onLine = (buffer: Buffer, start: number, end: number): void => {
    const first = buffer[start];
    if (end === start || (end === start + 1 && first === 0x0d)) {
      if (any) onRow(row);
      row = emptyRow();
      any = false;
      last = -1;
    } else if (first === 0x20 || first === 0x09) {
      if (last !== -1) row[last] += ` ${buffer.toString('utf8', start + 1, end).trim()}`;
    } else {
      const colon = buffer.indexOf(0x3a, start);
      if (colon === -1 || colon > end)
        throw new ControlSyntaxError(`${where}: expected "Field: value"`, {
          value: buffer.toString('utf8', start, end),
        });
      any = true;
      // Most lines are fields nobody reads: tell them apart by length before making the name a string.
      const index = WANTED_LENGTHS.has(colon - start) ? WANTED.get(buffer.toString('latin1', start, colon)) : undefined;
      if (index === undefined) {
        last = -1;
      } else {
        row[index] = buffer.toString('utf8', colon + 1, end).trim();
        last = index;
      }
    }
  };
  await forEachLine(chunks, onLine, onChunkEnd);
  if (any) onRow(row);
}

function emptyRow(): PackagesRow {
  return new Array<string | null>(PACKAGES_FIELDS.length).fill(null);
}
