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
  const tokens = text.match(/\(|\)|[^()\s]+/g) ?? [];
  const out: string[] = [];
  let name: string[] = [];
  const flush = () => {
    if (name.length === 0) return;
    const joined = name.join(' ');
    out.push(isSpdxExpression(joined) && !joined.includes(' ') ? joined : reference(joined));
    name = [];
  };
  for (const token of tokens) {
    if (token === '(' || token === ')' || OPERATOR.test(token)) {
      flush();
      out.push(OPERATOR.test(token) ? token.toUpperCase() : token);
    } else name.push(token);
  }
  flush();
  const expression = out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
  if (isSpdxExpression(expression)) return { expression, extracted: [...extracted.values()] };
  extracted.clear();
  return { expression: reference(text), extracted: [...extracted.values()] };
}
