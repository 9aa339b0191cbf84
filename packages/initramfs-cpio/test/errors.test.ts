// The error classes keep their codes and constructors; each gets its code's hint, and the few
// cases that need another get theirs.
import { isDistroforgeError } from '@distroforge/core';
import {
  BusyboxNotStaticError,
  CpioFieldOverflowError,
  CpioLimitError,
  InitramfsCompressionUnsupportedError,
  InitramfsError,
  InvalidOptionsError,
  LiveArgInvalidError,
} from '@distroforge/initramfs-cpio';
import { describe, expect, it } from 'vitest';

const codeHint = (code: ConstructorParameters<typeof InitramfsError>[0]) => new InitramfsError(code, '').hint;

describe('initramfs errors', () => {
  it('are typed distroforge errors with their code and its hint', () => {
    const error = new BusyboxNotStaticError('/bin/busybox', 'it is dynamically linked');
    expect(error).toBeInstanceOf(InitramfsError);
    expect(isDistroforgeError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ERR_BUSYBOX_NOT_STATIC',
      path: '/bin/busybox',
      hint: 'install a static busybox: apt-get install busybox-static (or pass busybox: PATH)',
    });
    expect(new CpioLimitError('a.cpio', 'name size', 5000, 4096, 'm')).toMatchObject({
      code: 'ERR_CPIO_LIMIT',
      field: 'name size',
      value: 5000,
      hint: codeHint('ERR_CPIO_LIMIT'),
    });
  });

  it('a given hint wins over the code hint', () => {
    expect(new InitramfsError('ERR_CPIO_CORRUPT', 'x', { hint: 'other' }).hint).toBe('other');
  });

  it('the cases with a more specific hint get it', () => {
    expect(new CpioFieldOverflowError('filesize', 2 ** 32, 'big').hint).toBe(codeHint('ERR_CPIO_FIELD_OVERFLOW'));
    expect(new CpioFieldOverflowError('uid', 2 ** 32, 'f').hint).toBe('use a uid below 2^32');
    expect(new LiveArgInvalidError('live.label', 'a b', false).hint).toBe(codeHint('ERR_LIVE_ARG_INVALID'));
    expect(new LiveArgInvalidError('live.modules', 'a,b', true).hint).toBe(
      'no spaces, quotes, $, ` or \\, and no commas in a list item',
    );
    expect(new InitramfsCompressionUnsupportedError('config', ['LZ4'], true).hint).toBe(
      codeHint('ERR_INITRAMFS_COMPRESSION_UNSUPPORTED'),
    );
    expect(new InitramfsCompressionUnsupportedError('config', [], false).hint).toBe(
      'build the kernel with CONFIG_BLK_DEV_INITRD=y, or boot it without an initramfs',
    );
  });

  it('an options error built from a message alone still lists its one issue', () => {
    expect(new InvalidOptionsError('bad level', { value: 'level' }).issues).toEqual([
      { key: 'level', message: 'bad level' },
    ]);
  });
});
