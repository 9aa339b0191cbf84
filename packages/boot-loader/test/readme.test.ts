import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { debianKernel, markerInitramfs } from './fixtures.js';
import { runReadmeExample } from '../../../tools/testing/readme-example.mjs';

const pkg = join(import.meta.dirname, '..');
let work: string;
let kernel: string;
let initrd: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'boot-loader-readme-'));
  kernel = await debianKernel();
  initrd = await markerInitramfs(work);
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// Runs against dist/ (the nx test target depends on build).
it('the README example is the file in examples/ and prints what the README shows', async () => {
  const { readme, source, stdout, shown } = await runReadmeExample(pkg, 'build-esp.mjs', [kernel, initrd]);
  expect(readme).toContain(source.trim());
  expect(stdout).toBe(shown);
}, 120_000);

it("the README's error-code table lists every code errors.ts defines, and only codes this package or core throws", async () => {
  const source = await readFile(join(pkg, 'src', 'errors.ts'), 'utf8');
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  const defined = [...source.matchAll(/super\('(ERR_[A-Z_]+)'/g)].map(([, code]) => code as string);
  const table = readme.slice(readme.indexOf('## Error codes'));
  const listed = [...table.matchAll(/`(ERR_[A-Z_]+)`/g)].map(([, code]) => code as string);
  expect(defined).toHaveLength(7);
  expect([...new Set(listed)].sort()).toEqual([...defined, 'ERR_TOOL_MISSING', 'ERR_TOOL_FAILED'].sort());
});
