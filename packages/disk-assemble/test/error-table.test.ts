// The README's error table lists exactly this package's codes, and boot-loader's and core's it lets
// through, each with the hint its error gets: a code cannot be added without its row.
import * as bootLoader from '@distroforge/boot-loader';
import { BootLoaderError, bootLoaderErrorCodes, type BootLoaderErrorCode } from '@distroforge/boot-loader';
import * as core from '@distroforge/core';
import { coreError, coreErrorCodes, type CoreErrorCode } from '@distroforge/core';
import * as disk from '@distroforge/disk-assemble';
import { DiskError, diskErrorCodes, type DiskErrorCode } from '@distroforge/disk-assemble';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';

it("the README's error table matches the code lists and their hints", async () => {
  const own = {
    codes: diskErrorCodes,
    hint: (code: string) => new DiskError(code as DiskErrorCode, '').hint,
    exports: disk,
  };
  const through = [
    {
      codes: bootLoaderErrorCodes,
      hint: (code: string) => new BootLoaderError(code as BootLoaderErrorCode, '').hint,
      exports: bootLoader,
    },
    { codes: coreErrorCodes, hint: (code: string) => coreError(code as CoreErrorCode, '').hint, exports: core },
  ];
  expect(await readmeErrorTableProblems(join(import.meta.dirname, '..'), own, through)).toEqual([]);
});

it('assembleDisk names every invalid option at once, before touching anything', async () => {
  const error = await disk.assembleDisk({ output: '', kernel: 7, bogus: true } as never).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(disk.InvalidDiskOptionsError);
  const keys = (error as disk.InvalidDiskOptionsError).issues.map((issue) => issue.key);
  expect(keys).toEqual(expect.arrayContaining(['kernel', '']));
  expect(keys.length).toBeGreaterThan(2);
  expect((error as Error).message).toMatch(/^\d+ invalid disk options:\n {2}/);
});
