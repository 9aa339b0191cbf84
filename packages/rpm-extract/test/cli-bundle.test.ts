// The built command: a process of its own that extracts, verifies and fails with typed errors,
// and never loads zod (about 70 ms of start-up: @distroforge/core's index loads it for its
// manifest schemas, so the bin bundles the parts of core it uses).
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { corpusDir } from './corpus.js';

const bin = join(import.meta.dirname, '..', 'dist', 'cli.js');
const work = await mkdtemp(join(tmpdir(), 'rpm-extract-bin-'));
afterAll(() => rm(work, { recursive: true, force: true }));

it('imports neither zod nor @distroforge/core', () => {
  const imports = [
    ...readFileSync(bin, 'utf8').matchAll(/^import .* from ['"]([^'"]+)['"];?$|import\(['"]([^'"]+)['"]\)/gm),
  ].map((m) => m[1] ?? m[2]);
  expect(imports.length).toBeGreaterThan(0);
  // Node's own modules, and execa (loaded on first use, for the xz/zstd/bzip2 tools), only.
  expect([...new Set(imports.filter((name) => !builtinModules.includes(name!.replace(/^node:/, ''))))]).toEqual([
    'execa',
  ]);
});

it('extracts and verifies a corpus package, and fails on a corrupt one with its error code', async () => {
  const packages = (await readdir(corpusDir)).filter((n) => n.endsWith('.rpm'));
  const good = packages.find((n) => n.startsWith('hello-2.0-1.x86_64'))!;
  const extracted = await execa('node', [bin, join(corpusDir, good), '-C', join(work, 'out')]);
  expect(extracted.stdout).toMatch(/files, \d+ bytes ->/);
  expect((await execa('node', [bin, '--verify', join(corpusDir, good)])).stdout).toMatch(/digests OK$/);
  const corrupt = await execa('node', [bin, '--info', bin], { reject: false });
  expect(corrupt.exitCode).not.toBe(0);
  expect(corrupt.stderr).toMatch(/ERR_RPM_BAD_MAGIC/);
});
