import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');

// Runs against dist/ (the nx test target depends on build). Numbers follow the mirror, so digits
// are normalised; the shape of every line must match the README.
it('the README example is the file in examples/ and prints what the README shows', async () => {
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  const source = await readFile(join(pkg, 'examples', 'resolve-minbase.mjs'), 'utf8');
  expect(readme).toContain(source.trim());
  const { stdout } = await execa('node', [join(pkg, 'examples', 'resolve-minbase.mjs')], { cwd: pkg });
  const shown = /Output \(versions and counts follow the mirror\):\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const digits = (s: string) => s.trim().replace(/\d+/g, 'N');
  expect(digits(stdout)).toBe(digits(shown));
});
