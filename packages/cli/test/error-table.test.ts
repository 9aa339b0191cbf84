// The README's error table lists exactly the command's own codes, each with the hint its error gets
// by default, and names classes the package exports: a code cannot be added without its row.
import * as cli from '@distroforge/cli';
import { CliError, cliErrorCodes, type CliErrorCode } from '@distroforge/cli';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';

it("the README's error table matches the code list and its hints", async () => {
  const own = {
    codes: cliErrorCodes,
    hint: (code: string) => new CliError(code as CliErrorCode, '').hint,
    exports: cli,
  };
  expect(await readmeErrorTableProblems(join(import.meta.dirname, '..'), own)).toEqual([]);
});
