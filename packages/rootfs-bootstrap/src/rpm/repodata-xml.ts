import { XMLParser } from 'fast-xml-parser';

/** A parsed XML element: attributes and child elements by name, text under `#text`. */
export type XmlNode = Record<string, unknown>;

/**
 * The parser for yum/dnf repository XML (repomd.xml, primary.xml, comps.xml): plain data with no
 * DTDs or entities beyond the XML five, so fast-xml-parser (small, dependency-light, widely used,
 * non-validating) is enough. Attributes become plain keys, values stay strings, and the elements
 * named in `arrays` are always arrays, however many there are.
 */
export function repodataXmlParser(arrays: readonly string[]): XMLParser {
  const names = new Set(arrays);
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    isArray: (name) => names.has(name),
  });
}
