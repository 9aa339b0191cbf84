import { ControlSyntaxError } from '../errors.js';

/** One deb822 paragraph: field name (as written) -> value. Continuation lines keep their `\n`. */
export type ControlParagraph = Readonly<Record<string, string>>;

/**
 * Parses deb822 control data (`Packages`, `Release`, `.sources`, a package's `control`) into
 * paragraphs. Multi-line fields keep their continuation lines joined by `\n` with the leading space
 * removed (a lone `.` stays, as in `Description`). Comment lines (`#`) are skipped.
 */
export function parseControlFile(text: string, origin = 'control data'): ControlParagraph[] {
  const paragraphs: ControlParagraph[] = [];
  let current: Record<string, string> | undefined;
  let lastField: string | undefined;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') {
      if (current) paragraphs.push(current);
      current = undefined;
      lastField = undefined;
      if (end === text.length) break;
      continue;
    }
    if (line.startsWith('#')) continue;
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (!current || lastField === undefined) {
        throw new ControlSyntaxError(`${origin}:${lineNo}: continuation line without a field`, { value: line });
      }
      const value = current[lastField];
      const continuation = line.slice(1);
      current[lastField] = value === '' ? continuation : `${value}\n${continuation}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ControlSyntaxError(`${origin}:${lineNo}: expected "Field: value"`, { value: line });
    current ??= {};
    lastField = line.slice(0, colon);
    current[lastField] = line.slice(colon + 1).trim();
    if (end === text.length) break;
  }
  if (current) paragraphs.push(current);
  return paragraphs;
}

/** Reads a field case-insensitively (deb822 field names are case-insensitive). */
export function controlField(paragraph: ControlParagraph, name: string): string | undefined {
  const direct = paragraph[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const key of Object.keys(paragraph)) if (key.toLowerCase() === lower) return paragraph[key];
  return undefined;
}

/** Serialises a paragraph back to deb822 text (continuation lines indented by one space). */
export function formatControlParagraph(paragraph: ControlParagraph): string {
  return Object.entries(paragraph)
    .map(
      ([key, value]) =>
        `${key}: ${value
          .split('\n')
          .map((l, i) => (i === 0 ? l : ` ${l === '' ? '.' : l}`))
          .join('\n')}`,
    )
    .join('\n');
}
