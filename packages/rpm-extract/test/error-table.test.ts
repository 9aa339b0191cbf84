// The README's error table lists exactly this package's codes, and core's it lets through, each
// with the hint its error gets: a code cannot be added without its row (docs/troubleshooting.md is
// generated from these tables).
import * as core from '@distroforge/core';
import { coreError, coreErrorCodes, type CoreErrorCode } from '@distroforge/core';
import * as rpm from '@distroforge/rpm-extract';
import { rpmErrorCodes, type RpmErrorCode } from '@distroforge/rpm-extract';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';
import { rpmError } from '../src/errors.js';

it("the README's error table matches the code list and its hints", async () => {
  const own = { codes: rpmErrorCodes, hint: (code: string) => rpmError(code as RpmErrorCode, '').hint, exports: rpm };
  const through = [
    { codes: coreErrorCodes, hint: (code: string) => coreError(code as CoreErrorCode, '').hint, exports: core },
  ];
  expect(await readmeErrorTableProblems(join(import.meta.dirname, '..'), own, through)).toEqual([]);
});
