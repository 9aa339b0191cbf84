import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { usage } from '../src/cli-main.js';

const pkg = join(import.meta.dirname, '..');

// Runs against dist/ (the nx test target depends on build).
it('the README example is the file in examples/ and prints what the README shows', async () => {
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  const source = await readFile(join(pkg, 'examples', 'read-and-extract.mjs'), 'utf8');
  expect(readme).toContain(source.trim());
  const { stdout } = await execa('node', [join(pkg, 'examples', 'read-and-extract.mjs')], {
    cwd: pkg,
    timeout: 60_000,
  });
  const shown = /Output:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  expect(stdout).toBe(shown.trim());
});

it('the README shows the command-line usage', async () => {
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  expect(readme).toContain(usage.trim());
});
