// The README's error table lists exactly this package's codes, and core's it lets through, each
// with the hint its error gets: a code cannot be added without its row.
import * as core from '@distroforge/core';
import { coreError, coreErrorCodes, type CoreErrorCode } from '@distroforge/core';
import * as initramfs from '@distroforge/initramfs-cpio';
import { InitramfsError, initramfsErrorCodes, type InitramfsErrorCode } from '@distroforge/initramfs-cpio';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readmeErrorTable, readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';

const packageDir = join(import.meta.dirname, '..');

it("the README's error table matches the code lists and their hints", async () => {
  const own = {
    codes: initramfsErrorCodes,
    hint: (code: string) => new InitramfsError(code as InitramfsErrorCode, '').hint,
    exports: initramfs,
  };
  const through = [
    { codes: coreErrorCodes, hint: (code: string) => coreError(code as CoreErrorCode, '').hint, exports: core },
  ];
  expect(await readmeErrorTableProblems(packageDir, own, through)).toEqual([]);
});

it('every exported error class is an InitramfsError and is the class of its code in the README', async () => {
  const rows = readmeErrorTable(await readFile(join(packageDir, 'README.md'), 'utf8'));
  const classOf = new Map(rows.map((row) => [/^`(\w+)`/.exec(row.cells.class ?? '')?.[1], row.code]));
  type Class = abstract new (...args: never[]) => unknown;
  const classes = (Object.entries(initramfs) as [string, unknown][]).filter(
    (entry): entry is [string, Class] => typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
  );
  expect(classes.length).toBeGreaterThan(17);
  for (const [name, value] of classes) {
    expect(value === InitramfsError || value.prototype instanceof InitramfsError, name).toBe(true);
    if (value !== InitramfsError) expect(initramfsErrorCodes, name).toContain(classOf.get(name));
  }
});

it('no error class is declared outside src/errors.ts', async () => {
  const src = join(packageDir, 'src');
  const elsewhere: string[] = [];
  for (const file of await readdir(src, { recursive: true })) {
    if (!file.endsWith('.ts') || file === 'errors.ts') continue;
    if (/\bclass \w+ extends \w*Error\b/.test(await readFile(join(src, file), 'utf8'))) elsewhere.push(file);
  }
  expect(elsewhere).toEqual([]);
});
