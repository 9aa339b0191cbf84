import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  combineEntries,
  CpioEntryError,
  CpioFieldOverflowError,
  encodeNewcHeader,
  writeCpio,
  type CpioEntry,
} from '@distroforge/initramfs-cpio';
import { collect } from './helpers.js';

const fields = {
  ino: 0,
  mode: 0o100644,
  uid: 0,
  gid: 0,
  nlink: 1,
  mtime: 0,
  filesize: 0,
  devmajor: 0,
  devminor: 0,
  rdevmajor: 0,
  rdevminor: 0,
  check: 0,
};
const hex = (header: Buffer, index: number) =>
  Number.parseInt(header.subarray(6 + index * 8, 14 + index * 8).toString('latin1'), 16);

describe('newc header fields at their limits', () => {
  const names = [
    'ino',
    'mode',
    'uid',
    'gid',
    'nlink',
    'mtime',
    'filesize',
    'devmajor',
    'devminor',
    'rdevmajor',
    'rdevminor',
  ] as const;
  for (const [index, field] of names.entries()) {
    it.each([0, 1, 2 ** 32 - 1])(`${field} = %d round-trips`, (value) => {
      expect(hex(encodeNewcHeader({ ...fields, [field]: value }, 'x'), index)).toBe(value);
    });
    it.each([2 ** 32, -1, 1.5])(`${field} = %d is an ERR_CPIO_FIELD_OVERFLOW naming the field`, (value) => {
      const error = (() => {
        try {
          encodeNewcHeader({ ...fields, [field]: value }, 'some/name');
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(CpioFieldOverflowError);
      expect(error).toMatchObject({ code: 'ERR_CPIO_FIELD_OVERFLOW', field, value, path: 'some/name' });
    });
  }

  it.each([
    ['ascii', 'abc', 4],
    ['two-byte utf-8', 'é', 3],
    ['three-byte utf-8', '日本', 7],
    ['four-byte utf-8', '😀', 5],
    ['long (1000 bytes)', 'n'.repeat(1000), 1001],
    ['long unicode', 'ü'.repeat(2000), 4001],
  ])('%s names are measured in UTF-8 bytes', (_, name, namesize) => {
    const header = encodeNewcHeader(fields, name);
    expect(hex(header, 11)).toBe(namesize);
    expect(header.subarray(110, 110 + namesize - 1).toString('utf8')).toBe(name);
    expect(header[110 + namesize - 1]).toBe(0);
    expect(header.length % 4).toBe(0);
    expect(header.length - (110 + namesize)).toBeLessThan(4);
  });
});

describe('writer validation', () => {
  const file = (over: Partial<CpioEntry>): CpioEntry => ({ path: 'f', type: 'file', mode: 0o644, ...over });
  const fails = async (entry: CpioEntry) => collect(writeCpio([entry], { sourceDateEpoch: null }));

  it('refuses a 4 GiB source file instead of clamping its size', async () => {
    await expect(fails(file({ source: '/dev/zero', size: 2 ** 32 }))).rejects.toMatchObject({
      code: 'ERR_CPIO_FIELD_OVERFLOW',
      field: 'filesize',
    });
  });
  it('accepts a uid of 2^32-1 and refuses 2^32', async () => {
    await expect(fails(file({ uid: 2 ** 32 - 1 }))).resolves.toBeInstanceOf(Buffer);
    await expect(fails(file({ uid: 2 ** 32 }))).rejects.toMatchObject({
      code: 'ERR_CPIO_FIELD_OVERFLOW',
      field: 'uid',
    });
  });
  it('refuses a mode with type bits, devices without numbers, symlinks without target', async () => {
    await expect(fails(file({ mode: 0o100644 }))).rejects.toBeInstanceOf(CpioEntryError);
    await expect(fails({ path: 'd', type: 'char', mode: 0o600 })).rejects.toMatchObject({ code: 'ERR_CPIO_BAD_ENTRY' });
    await expect(fails({ path: 'l', type: 'symlink', mode: 0o777 })).rejects.toMatchObject({
      code: 'ERR_CPIO_BAD_ENTRY',
    });
  });
  it('refuses duplicate names and .. components', async () => {
    await expect(collect(writeCpio([file({}), file({ path: '/f' })]))).rejects.toMatchObject({
      code: 'ERR_CPIO_BAD_ENTRY',
      value: 'f',
    });
    await expect(fails(file({ path: 'a/../../etc' }))).rejects.toMatchObject({ code: 'ERR_CPIO_BAD_ENTRY' });
  });
  it('notices a source file whose size differs from the size given', async () => {
    await expect(fails(file({ source: '/etc/hostname', size: 1_000_000 }))).rejects.toMatchObject({
      code: 'ERR_CPIO_SOURCE_CHANGED',
    });
  });
});

describe('byte order of names', () => {
  it('sorts like LC_ALL=C sort on the UTF-8 bytes, including characters above U+FFFF', async () => {
    const names = ['a', 'a-b', 'a/b', 'a/b/c', 'B', 'é', '\uffff', '\ue000', '😀', '日本', 'z', 'ab', 'a😀', 'a\uffff'];
    const { stdout } = await execa('sort', [], { input: `${names.join('\n')}\n`, env: { LC_ALL: 'C' } });
    const sorted = (await combineEntries(names.map((path) => ({ path, type: 'dir' as const, mode: 0o755 })))).map(
      (e) => e.path,
    );
    expect(sorted).toEqual(['.', ...stdout.split('\n')]);
  });
});
