// The README's error table lists exactly this package's codes (the apt/rpm ones, the pacman
// source's and its signature check's), and core's it lets through, each with the hint its error gets: a code cannot be added
// without its row.
import * as core from '@distroforge/core';
import { coreError, coreErrorCodes, type CoreErrorCode } from '@distroforge/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';
import * as bootstrap from '../src/index.js';
import {
  BootstrapError,
  BootstrapOptionsError,
  bootstrapErrorCodes,
  pacmanErrorCodes,
  pacmanErrorHints,
  pacmanVerifyErrorCodes,
  pacmanVerifyErrorHints,
  type BootstrapErrorCode,
  type PacmanErrorCode,
  type PacmanVerifyErrorCode,
} from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'df-bootstrap-errors-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it("the README's error table matches the code lists and their hints", async () => {
  const own = {
    codes: [...bootstrapErrorCodes, ...pacmanErrorCodes, ...pacmanVerifyErrorCodes],
    hint: (code: string) =>
      code in pacmanVerifyErrorHints
        ? pacmanVerifyErrorHints[code as PacmanVerifyErrorCode]
        : code.startsWith('ERR_PACMAN_')
          ? pacmanErrorHints[code as PacmanErrorCode]
          : new BootstrapError(code as BootstrapErrorCode, '').hint,
    exports: bootstrap,
  };
  const through = [
    { codes: coreErrorCodes, hint: (code: string) => coreError(code as CoreErrorCode, '').hint, exports: core },
  ];
  expect(await readmeErrorTableProblems(join(import.meta.dirname, '..'), own, through)).toEqual([]);
});

it('every code has a hint, and every error class is a BootstrapError', () => {
  for (const code of bootstrapErrorCodes) expect(new BootstrapError(code, '').hint, code).toMatch(/\w/);
  for (const [name, value] of Object.entries(bootstrap)) {
    if (typeof value === 'function' && name.endsWith('Error') && value !== BootstrapError)
      expect(value.prototype, name).toBeInstanceOf(BootstrapError);
  }
});

it('bootstrapRootfs names every invalid option at once, before touching anything', async () => {
  const target = join(work, 'never');
  const error = await bootstrap
    .bootstrapRootfs({ suite: '', target, concurrency: 0, bogus: true } as never)
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BootstrapOptionsError);
  const keys = (error as BootstrapOptionsError).issues.map((issue) => issue.key);
  expect(keys).toEqual(expect.arrayContaining(['suite', 'concurrency', '']));
  expect((error as BootstrapOptionsError).value).toBe(keys[0]);
  expect((error as Error).message).toMatch(/^\d+ invalid options:\n {2}/);
});

it("the rpm source's rules between options are reported together", async () => {
  const error = await bootstrap
    .resolveRpmRootfs({ source: `rpm-dir:${work}`, gpgCheck: 'require', cacheDir: join(work, 'cache') })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BootstrapOptionsError);
  expect((error as BootstrapOptionsError).issues.map((issue) => issue.key)).toEqual(['gpgKeys', 'include']);
  expect(error).toMatchObject({ code: 'ERR_BOOTSTRAP_OPTIONS', value: 'gpgKeys' });
});

it('a single problem keeps the one-line message', async () => {
  const error = await bootstrap.resolveRootfs({ suite: 'bookworm', variant: 'tiny' as never }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'ERR_BOOTSTRAP_OPTIONS', value: 'variant' });
  expect((error as Error).message).toMatch(/^invalid option variant: /);
});
