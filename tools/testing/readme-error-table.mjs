// A package README's error table (`| code | ... | when | hint |`) checked against the package's
// code list, so neither can drift: every code of the package is a row, every row is a code of the
// package or of one it lets through (core's ERR_TOOL_MISSING), and each row's hint is the hint an
// error of that code gets by default.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The rows of the first table under the README's `## Error...` heading, as { code, cells by column name }. */
export function readmeErrorTable(readme) {
  const start = readme.search(/^## Error/m);
  if (start < 0) return [];
  const rest = readme.slice(start);
  const end = rest.slice(1).search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end + 1);
  const lines = section.split('\n').filter((line) => line.startsWith('|'));
  const cells = (line) =>
    line
      .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replaceAll('\\|', '|'));
  const header = cells(lines[0] ?? '').map((c) => c.toLowerCase());
  return lines.slice(2).map((line) => {
    const row = Object.fromEntries(cells(line).map((cell, i) => [header[i] ?? String(i), cell]));
    return { code: /^`(ERR_[A-Z0-9_]+)`$/.exec(row.code ?? '')?.[1] ?? row.code ?? '', cells: row };
  });
}

/**
 * What is wrong with `packageDir`/README.md's error table (empty when nothing): `own` is the
 * package's codes and the default hint of each; `through` lists the families of codes the package
 * lets through from its dependencies (each such row is optional). A family's `exports` (its
 * package's module) lets the check see that a `class` column names a class the package exports.
 */
export async function readmeErrorTableProblems(packageDir, own, through = []) {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const rows = readmeErrorTable(readme);
  const problems = [];
  if (rows.length === 0) problems.push('no error table under a "## Error" heading');
  const seen = new Set();
  for (const { code, cells } of rows) {
    if (seen.has(code)) problems.push(`${code}: listed twice`);
    seen.add(code);
    const family = [own, ...through].find((f) => f.codes.includes(code));
    if (!family) {
      problems.push(`${code}: not a code of this package or of one it lets through`);
      continue;
    }
    if (!cells.when) problems.push(`${code}: no "when"`);
    const hint = family.hint(code);
    if (cells.hint !== hint)
      problems.push(`${code}: hint is ${JSON.stringify(cells.hint)}, the code's is ${JSON.stringify(hint)}`);
    const className = /^`(\w+)`/.exec(cells.class ?? '')?.[1];
    if (family.exports && className && typeof family.exports[className] !== 'function')
      problems.push(`${code}: class ${className} is not exported`);
  }
  for (const code of own.codes) if (!seen.has(code)) problems.push(`${code}: missing from the README`);
  return problems;
}
