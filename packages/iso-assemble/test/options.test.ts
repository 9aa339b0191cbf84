import { describe, expect, it } from 'vitest';
import { type InvalidOptionsError, normaliseIsoOptions, type AssembleIsoOptions } from '@distroforge/iso-assemble';

const base: AssembleIsoOptions = { output: '/tmp/x.iso', label: 'LIVE', kernel: '/k', initrd: '/i' };

function errorOf(options: AssembleIsoOptions) {
  try {
    normaliseIsoOptions(options);
  } catch (error) {
    return error as { code: string; value: unknown; message: string };
  }
  throw new Error('expected an error');
}

describe('normaliseIsoOptions', () => {
  it('fills the defaults: BIOS + UEFI, no Secure Boot, four menu entries with live as default', () => {
    const options = normaliseIsoOptions({ ...base, menu: { title: 'Debian live' } });
    expect(options.bios).toBe(true);
    expect(options.uefi).toBe(true);
    expect(options.secureBoot).toBe(false);
    expect(options.menu.serial).toBe(true);
    expect(options.menu.timeout).toBe(5);
    expect(options.entries.map((e) => [e.id, e.title, e.type === 'linux' ? e.append.join(' ') : e.type])).toEqual([
      ['live', 'Debian live', ''],
      ['safe', 'Debian live (safe mode)', 'nomodeset'],
      ['toram', 'Debian live (copy to RAM)', 'live.copytoram'],
      ['local', 'Boot from first local disk', 'local-disk'],
    ]);
    expect(options.defaultEntry).toBe('live');
    expect(options.rootImageIsoPath).toBeUndefined();
  });

  it('splits kernel arguments given as one string and places the root image by its type', () => {
    const options = normaliseIsoOptions({
      ...base,
      kernelArgs: ' boot=live  console=ttyS0 ',
      rootImage: '/out/root.erofs',
    });
    expect(options.kernelArgs).toEqual(['boot=live', 'console=ttyS0']);
    expect(options.rootImageIsoPath).toBe('/live/filesystem.erofs');
    expect(normaliseIsoOptions({ ...base, rootImage: '/out/root.sqfs' }).rootImageIsoPath).toBe(
      '/live/filesystem.squashfs',
    );
  });

  it('takes entries, extra entries and the default entry from the caller', () => {
    const options = normaliseIsoOptions({
      ...base,
      menu: {
        entries: [{ id: 'a', title: 'A', append: ['quiet'] }],
        extraEntries: [{ id: 'b', title: 'B', append: 'single', hotkey: 'b' }],
        defaultEntry: 'b',
      },
    });
    expect(options.entries).toEqual([
      { type: 'linux', id: 'a', title: 'A', append: ['quiet'], hotkey: undefined },
      { type: 'linux', id: 'b', title: 'B', append: ['single'], hotkey: 'b' },
    ]);
    expect(options.defaultEntry).toBe('b');
  });

  it('does not mutate the caller options', () => {
    const options = { ...base, kernelArgs: ['a=1'], menu: { entries: [{ id: 'x', title: 'X', append: ['y'] }] } };
    const copy = structuredClone(options);
    normaliseIsoOptions(options);
    expect(options).toEqual(copy);
  });

  it.each([
    [{ ...base, label: 'has space' }, 'label'],
    [{ ...base, label: 'A'.repeat(33) }, 'label'],
    [{ ...base, label: 'efiboot' }, 'label'],
    [{ ...base, bios: false, uefi: false }, 'bios'],
    [{ ...base, uefi: false, secureBoot: true }, 'secureBoot'],
    [{ ...base, sourceDateEpoch: 0 }, 'sourceDateEpoch'],
    [{ ...base, sourceDateEpoch: -1 }, 'sourceDateEpoch'],
    [{ ...base, kernelArgs: ['two words'] }, 'kernelArgs.0'],
    [{ ...base, menu: { defaultEntry: 'nope' } }, 'menu.defaultEntry'],
    [{ ...base, menu: { entries: [] } }, 'menu.entries'],
    [
      {
        ...base,
        menu: {
          entries: [
            { id: 'a', title: 'A' },
            { id: 'a', title: 'B' },
          ],
        },
      },
      'menu.entries.1.id',
    ],
    [{ ...base, menu: { timeout: 1.5 } }, 'menu.timeout'],
    [{ ...base, extraFiles: [{ source: '/x', path: '/boot/grub/grub.cfg' }] }, 'extraFiles.0.path'],
    [{ ...base, extraFiles: [{ source: '/x', path: 'relative' }] }, 'extraFiles.0.path'],
    [{ ...base, rootImage: '/r', rootImagePath: '/live/vmlinuz' }, 'rootImagePath'],
    [{ ...base, unknown: 1 } as AssembleIsoOptions, ''],
  ])('rejects %j at %s with ERR_INVALID_OPTIONS', (options, key) => {
    const error = errorOf(options);
    expect(error.code).toBe('ERR_INVALID_OPTIONS');
    expect(error.value).toBe(key);
  });

  it('reports every problem at once: the schema issues together, then every broken rule', () => {
    const schema = errorOf({
      ...base,
      label: 'has space',
      menu: { timeout: 1.5 },
      unknown: 1,
    } as AssembleIsoOptions) as InvalidOptionsError;
    expect(schema.issues.map((issue) => issue.key).sort()).toEqual(['', 'label', 'menu.timeout']);
    expect(schema.message).toMatch(/^3 invalid options:\n {2}/);
    const rules = errorOf({
      ...base,
      uefi: false,
      bios: false,
      secureBoot: true,
      menu: { defaultEntry: 'nope' },
    }) as InvalidOptionsError;
    expect(rules.issues.map((issue) => issue.key)).toEqual(['bios', 'secureBoot', 'menu.defaultEntry']);
    expect(rules.value).toBe('bios');
  });

  it('accepts the FAT date range limits for UEFI and any epoch for BIOS-only images', () => {
    expect(normaliseIsoOptions({ ...base, sourceDateEpoch: 315532800 }).sourceDateEpoch).toBe(315532800);
    expect(errorOf({ ...base, sourceDateEpoch: 315532799 }).value).toBe('sourceDateEpoch');
    expect(normaliseIsoOptions({ ...base, uefi: false, sourceDateEpoch: 0 }).sourceDateEpoch).toBe(0);
  });
});
