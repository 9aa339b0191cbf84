// examples/README.md says where each example is built and booted: each test file it names exists
// and builds that example, so the status column cannot drift from what the tests run.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..', '..');

it('names, for every example, a test that exists and uses that example', async () => {
  const readme = await readFile(join(repo, 'examples', 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| \[`([a-z-]+)`\]\([^)]+\) \|[^|]*\| ([^|]*) \|$/gm)];
  expect(rows.map((r) => r[1]).sort()).toEqual([
    'arch-live',
    'debian-live',
    'macpro-kvm-host',
    'minimal',
    'rocky-live',
  ]);
  for (const [, example, status] of rows) {
    const e2e = [...(status as string).matchAll(/`((?:e2e|packages\/[\w-]+\/test)\/[\w.-]+\.test\.ts)`/g)].map(
      (m) => m[1] as string,
    );
    expect(e2e.length, `${example}: no test named`).toBeGreaterThan(0);
    for (const file of e2e) {
      expect(existsSync(join(repo, file)), file).toBe(true);
      expect(await readFile(join(repo, file), 'utf8'), `${file} uses examples/${example}`).toMatch(
        new RegExp(`examples['"/, ]+${example}|'${example}'`),
      );
    }
  }
});
