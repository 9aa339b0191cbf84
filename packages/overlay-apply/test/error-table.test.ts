// The README's error table lists exactly this package's codes, each with the hint its error gets:
// a code cannot be added without its row.
import * as overlay from '@distroforge/overlay-apply';
import { OverlayApplyError, overlayErrorCodes, type OverlayErrorCode } from '@distroforge/overlay-apply';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';

it("the README's error table matches the code list and its hints", async () => {
  const own = {
    codes: overlayErrorCodes,
    hint: (code: string) => new OverlayApplyError(code as OverlayErrorCode, '').hint,
    exports: overlay,
  };
  expect(await readmeErrorTableProblems(join(import.meta.dirname, '..'), own)).toEqual([]);
});

it('applyOverlay names every invalid option at once', async () => {
  const error = await overlay.applyOverlay({ root: 7, overlay: '', bogus: true } as never).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(overlay.OptionsInvalidError);
  expect((error as overlay.OptionsInvalidError).issues.length).toBeGreaterThan(1);
  expect((error as Error).message).toMatch(/^\d+ invalid options:\n {2}/);
});
