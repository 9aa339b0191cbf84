import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');

// Runs against dist/ (the nx test target depends on build).
it('the README example is the file in examples/ and prints what the README shows', async () => {
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  const source = await readFile(join(pkg, 'examples', 'basic.mjs'), 'utf8');
  expect(readme).toContain(source.trim());
  const { stdout } = await execa('node', [join(pkg, 'examples', 'basic.mjs')], { cwd: pkg });
  const shown = /Output:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  expect(stdout.replace(/xz \d+\.\d+\.\d+/, 'xz X')).toBe(shown.trim().replace(/xz \d+\.\d+\.\d+/, 'xz X'));
});
