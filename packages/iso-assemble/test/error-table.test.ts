// The README's error table lists exactly this package's codes, and boot-loader's and core's it lets
// through, each with the hint its error gets: a code cannot be added without its row.
import * as bootLoader from '@distroforge/boot-loader';
import { BootLoaderError, bootLoaderErrorCodes, type BootLoaderErrorCode } from '@distroforge/boot-loader';
import * as core from '@distroforge/core';
import { coreError, coreErrorCodes, type CoreErrorCode } from '@distroforge/core';
import * as iso from '@distroforge/iso-assemble';
import { IsoError, isoErrorCodes, type IsoErrorCode } from '@distroforge/iso-assemble';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';

it("the README's error table matches the code lists and their hints", async () => {
  const own = {
    codes: isoErrorCodes,
    hint: (code: string) => new IsoError(code as IsoErrorCode, '').hint,
    exports: iso,
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
