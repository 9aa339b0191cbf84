import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { debianKernel, markerInitramfs } from './fixtures.js';
import { runReadmeExample } from '../../../tools/testing/readme-example.mjs';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';
import * as coreModule from '@distroforge/core';
import { coreError, coreErrorCodes, type CoreErrorCode } from '@distroforge/core';
import * as bootLoader from '@distroforge/boot-loader';
import { BootLoaderError, bootLoaderErrorCodes, type BootLoaderErrorCode } from '@distroforge/boot-loader';

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

it("the README's error table lists exactly this package's codes (and core's it lets through), each with its hint", async () => {
  const own = {
    codes: bootLoaderErrorCodes,
    hint: (code: string) => new BootLoaderError(code as BootLoaderErrorCode, '').hint,
    exports: bootLoader,
  };
  const core = {
    codes: coreErrorCodes,
    hint: (code: string) => coreError(code as CoreErrorCode, '').hint,
    exports: coreModule,
  };
  expect(await readmeErrorTableProblems(pkg, own, [core])).toEqual([]);
});
