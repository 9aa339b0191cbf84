import { PacmanDescSyntaxError } from './errors.js';

/**
 * pacman's `desc` format: blocks of `%KEY%`, then one value per line, ended by an empty line (or
 * the end of the file). Keys keep their order; a repeated key adds its values (pacman re-reads it).
 * Lines before the first key are an error: a desc that does not start with a key is not one.
 */
export function parseDescBlocks(text: string, origin: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  const lines = text.split('\n');
  let current: string[] | undefined;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!.replace(/\r$/, '');
    if (current === undefined) {
      if (line === '') continue;
      const key = /^%([A-Z0-9_]+)%$/.exec(line)?.[1];
      if (key === undefined)
        throw new PacmanDescSyntaxError(
          `${origin}: line ${k + 1} is not a %KEY% line: ${JSON.stringify(line.slice(0, 80))}`,
          { path: origin, value: line.slice(0, 200) },
        );
      current = fields.get(key) ?? [];
      fields.set(key, current);
    } else if (line === '') {
      current = undefined;
    } else {
      current.push(line);
    }
  }
  return fields;
}

/** Writes fields in the desc format (each block ended by an empty line, as repo-add writes them). */
export function formatDescBlocks(fields: Iterable<readonly [string, readonly string[]]>): string {
  let text = '';
  for (const [key, values] of fields) if (values.length) text += `%${key}%\n${values.join('\n')}\n\n`;
  return text;
}
