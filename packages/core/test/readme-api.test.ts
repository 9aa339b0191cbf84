// The README's API section names every runtime export of the package (types are documented with
// the functions that take them), so it cannot fall behind the code again.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as core from '@distroforge/core';

it('names every export in the README', async () => {
  const readme = await readFile(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  // Written as code: `name`, `name(...)`, `class Name(...)`.
  const missing = Object.keys(core).filter((name) => !new RegExp(`\`(class )?${name}[\`(]`).test(readme));
  expect(missing).toEqual([]);
});
