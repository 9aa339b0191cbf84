// The README's error table lists exactly this package's codes, and core's it lets through, each
// with the hint its error gets: a code cannot be added without its row.
import * as core from '@distroforge/core';
import { coreError, coreErrorCodes, type CoreErrorCode } from '@distroforge/core';
import * as qemu from '@distroforge/qemu-launch';
import { QemuError, qemuErrorCodes, type QemuErrorCode } from '@distroforge/qemu-launch';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';

it("the README's error table matches the code lists and their hints", async () => {
  const own = {
    codes: qemuErrorCodes,
    hint: (code: string) => new QemuError(code as QemuErrorCode, '').hint,
    exports: qemu,
  };
  const through = [
    { codes: coreErrorCodes, hint: (code: string) => coreError(code as CoreErrorCode, '').hint, exports: core },
  ];
  expect(await readmeErrorTableProblems(join(import.meta.dirname, '..'), own, through)).toEqual([]);
});

it('resolveLaunchOptions names every invalid option at once', () => {
  let error: unknown;
  try {
    qemu.resolveLaunchOptions({ memory: 'lots', cpus: 0, bogus: 1 } as never);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(qemu.QemuOptionsError);
  expect((error as qemu.QemuOptionsError).issues.map((issue) => issue.key).sort()).toEqual(['', 'cpus', 'memory']);
});
