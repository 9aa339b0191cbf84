import parseSpdxExpression from 'spdx-expression-parse';

/** A licence the SPDX list does not name, carried in the document as `hasExtractedLicensingInfos`. */
export interface ExtractedLicense {
  licenseId: string;
  name: string;
  extractedText: string;
}

/** Whether a text is a valid SPDX licence expression (ids from the SPDX list, LicenseRef-, AND/OR/WITH). */
export function isSpdxExpression(text: string): boolean {
  try {
    parseSpdxExpression(text);
    return true;
  } catch {
    return false;
  }
}

const OPERATOR = /^(and|or|with)$/i;

/**
 * A declared licence as an SPDX licence expression: `NOASSERTION` when none is declared; as it is
 * when it already is one (`GPL-2.0-or-later OR MIT`); else word by word, each licence the SPDX
 * list does not know becoming a `LicenseRef-` (Debian's `GPL-2+` is `LicenseRef-GPL-2-plus`: the
 * package said GPL-2+, and deciding that means GPL-2.0-or-later is a conclusion, not a
 * declaration), the operators upper-cased. What cannot be read that way is one `LicenseRef-` for
 * the whole text. The `LicenseRef-`s come back with the text they stand for.
 */
export function spdxLicenseExpression(declared: string | undefined): {
  expression: string;
  extracted: ExtractedLicense[];
} {
  if (declared === undefined || declared.trim() === '') return { expression: 'NOASSERTION', extracted: [] };
  const text = declared.trim();
  if (isSpdxExpression(text)) return { expression: text, extracted: [] };
  const extracted = new Map<string, ExtractedLicense>();
  const reference = (name: string): string => {
    const licenseId = `LicenseRef-${
      name
        .replace(/\+/g, '-plus')
        .replace(/[^A-Za-z0-9.-]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'unnamed'
    }`;
    extracted.set(licenseId, {
      licenseId,
      name,
      extractedText: `The package declares the licence "${name}", which is not on the SPDX licence list.`,
    });
    return licenseId;
  };
  // Tokens: parentheses, operators, and licence names (which may contain spaces: "public domain").
  type Item = { name: string } | { op: string };
  const items: Item[] = [];
  let words: string[] = [];
  const flush = () => {
    if (words.length > 0) items.push({ name: words.join(' ') });
    words = [];
  };
  for (const token of text.match(/\(|\)|[^()\s]+/g) ?? []) {
    if (token === '(' || token === ')' || OPERATOR.test(token)) {
      flush();
      items.push({ op: OPERATOR.test(token) ? token.toUpperCase() : token });
    } else words.push(token);
  }
  flush();
  const out: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Item;
    const next = items[i + 1];
    const after = items[i + 2];
    if ('name' in item && next && 'op' in next && next.op === 'WITH' && after && 'name' in after) {
      // An exception off the SPDX list cannot follow WITH (SPDX 2.3 has no AdditionRef-): the pair is one licence.
      const pair = `${item.name} WITH ${after.name}`;
      out.push(
        isSpdxExpression(pair) && !/\s/.test(item.name + after.name)
          ? pair
          : reference(`${item.name} with ${after.name}`),
      );
      i += 2;
    } else if ('name' in item)
      out.push(isSpdxExpression(item.name) && !/\s/.test(item.name) ? item.name : reference(item.name));
    else out.push(item.op);
  }
  const expression = out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
  if (isSpdxExpression(expression)) return { expression, extracted: [...extracted.values()] };
  extracted.clear();
  return { expression: reference(text), extracted: [...extracted.values()] };
}
