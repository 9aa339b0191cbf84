// The README's error table lists exactly this package's codes, and core's it lets through, each
// with the hint its error gets: a code cannot be added without its row.
import * as core from '@distroforge/core';
import { coreError, coreErrorCodes, type CoreErrorCode } from '@distroforge/core';
import * as squashfs from '@distroforge/squashfs-wrap';
import { SquashfsError, squashfsErrorCodes, type SquashfsErrorCode } from '@distroforge/squashfs-wrap';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';

it("the README's error table matches the code lists and their hints", async () => {
  const own = {
    codes: squashfsErrorCodes,
    hint: (code: string) => new SquashfsError(code as SquashfsErrorCode, '').hint,
    exports: squashfs,
  };
  const through = [
    { codes: coreErrorCodes, hint: (code: string) => coreError(code as CoreErrorCode, '').hint, exports: core },
  ];
  expect(await readmeErrorTableProblems(join(import.meta.dirname, '..'), own, through)).toEqual([]);
});
