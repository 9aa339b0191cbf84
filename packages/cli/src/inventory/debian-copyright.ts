/**
 * The licences a Debian copyright file declares, when it is machine-readable (DEP-5, "Format:
 * https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"): the short names of the
 * `License:` fields of its `Files:` paragraphs, in order of appearance, each once, joined with
 * " AND " (every file's licence applies to the package). Undefined for a free-form file, or one
 * that names no licence.
 */
export function dep5Licenses(text: string): string | undefined {
  const paragraphs = text.replace(/\r\n/g, '\n').split(/\n[ \t]*\n/);
  const header = paragraphs[0] ?? '';
  if (!/^Format:[ \t]*\S*copyright-format\/1\.0/im.test(header)) return undefined;
  const licenses: string[] = [];
  for (const paragraph of paragraphs.slice(1)) {
    // Field names are case-insensitive; continuation lines start with white space.
    if (!/^Files:/im.test(paragraph)) continue;
    const m = /^License:[ \t]*(.*)$/im.exec(paragraph);
    const name = m?.[1]?.trim();
    if (name && !licenses.includes(name)) licenses.push(name);
  }
  if (licenses.length === 0) return undefined;
  return licenses.length === 1
    ? licenses[0]
    : licenses.map((l) => (/\s(or|and|with)\s/i.test(l) ? `(${l})` : l)).join(' AND ');
}
