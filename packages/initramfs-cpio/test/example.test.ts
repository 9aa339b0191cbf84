import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, expect, it } from 'vitest';

const packageDir = resolve(import.meta.dirname, '..');

beforeAll(async () => {
  // The example imports the package by name, i.e. its build (nx builds before testing).
  if (!existsSync(join(packageDir, 'dist/index.js'))) await execa('npx', ['tsup'], { cwd: packageDir });
}, 180_000);

it('README shows exactly what examples/pack-and-list.mjs prints', async () => {
  const { stdout } = await execa('node', [join(packageDir, 'examples/pack-and-list.mjs')]);
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const shown = /<!-- example-output -->\n```\n([\s\S]*?)\n```/.exec(readme)?.[1];
  expect(stdout).toBe(shown);
});
