import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const packageDir = resolve(import.meta.dirname, '..');

it('the README\'s error-code table lists every code and class errors.ts defines, and nothing else', async () => {
  const source = await readFile(resolve(packageDir, 'src/errors.ts'), 'utf8');
  const readme = await readFile(resolve(packageDir, 'README.md'), 'utf8');
  const defined = [...source.matchAll(/export class (\w+) extends DistroforgeError[\s\S]*?super\('(ERR_[A-Z_]+)'/g)].map(([, cls, code]) => `${code} ${cls}`);
  const table = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('## Benchmark'));
  const listed = [...table.matchAll(/^\| `(ERR_[A-Z_]+)` \| `(\w+)` \|/gm)].map(([, code, cls]) => `${code} ${cls}`);
  expect(defined.length).toBeGreaterThan(10);
  expect(listed.sort()).toEqual(defined.sort());
});
