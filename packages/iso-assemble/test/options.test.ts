import { describe, expect, it } from 'vitest';
import { normaliseIsoOptions, renderGrubMenu, defaultMenuEntries, grubQuote, renderSearchConfig, type AssembleIsoOptions } from '@distroforge/iso-assemble';

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
    const options = normaliseIsoOptions({ ...base, kernelArgs: ' boot=live  console=ttyS0 ', rootImage: '/out/root.erofs' });
    expect(options.kernelArgs).toEqual(['boot=live', 'console=ttyS0']);
    expect(options.rootImageIsoPath).toBe('/live/filesystem.erofs');
    expect(normaliseIsoOptions({ ...base, rootImage: '/out/root.sqfs' }).rootImageIsoPath).toBe('/live/filesystem.squashfs');
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
    [{ ...base, menu: { entries: [{ id: 'a', title: 'A' }, { id: 'a', title: 'B' }] } }, 'menu.entries.1.id'],
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

  it('accepts the FAT date range limits for UEFI and any epoch for BIOS-only images', () => {
    expect(normaliseIsoOptions({ ...base, sourceDateEpoch: 315532800 }).sourceDateEpoch).toBe(315532800);
    expect(errorOf({ ...base, sourceDateEpoch: 315532799 }).value).toBe('sourceDateEpoch');
    expect(normaliseIsoOptions({ ...base, uefi: false, sourceDateEpoch: 0 }).sourceDateEpoch).toBe(0);
  });
});

describe('GRUB scripts', () => {
  it('quotes words like sh does, so titles and arguments cannot break out', () => {
    expect(grubQuote("it's $x")).toBe(`'it'\\''s $x'`);
  });

  it('renders the menu with serial + console terminals, the default, the timeout and quoted arguments', () => {
    const text = renderGrubMenu({
      entries: defaultMenuEntries("Bob's live"),
      defaultEntry: 'live',
      timeout: 7,
      serial: { unit: 0, speed: 115200 },
      kernel: '/live/vmlinuz',
      initrd: '/live/initrd.img',
      kernelArgs: ['boot=live', 'console=ttyS0'],
    });
    const lines = text.split('\n');
    expect(lines.slice(1, 7)).toEqual([
      'serial --unit=0 --speed=115200',
      'terminal_input serial console',
      'terminal_output serial console',
      "set default='live'",
      'set timeout=7',
      'set timeout_style=menu',
    ]);
    expect(text).toContain(`menuentry 'Bob'\\''s live (safe mode)' --id 'safe' {\n  linux /live/vmlinuz 'boot=live' 'console=ttyS0' 'nomodeset'\n  initrd /live/initrd.img\n}`);
    expect(text).toContain("'live.copytoram'");
    expect(text).toMatch(/menuentry 'Boot from first local disk' --id 'local' \{\n {2}if \[ "\$grub_platform" = efi \]; then\n {4}exit/);
    expect(text).not.toMatch(/insmod/);
  });

  it('renders hotkeys', () => {
    const text = renderGrubMenu({
      entries: [{ type: 'linux', id: 'safe', title: 'Safe', append: ['nomodeset'], hotkey: 's' }],
      defaultEntry: 'safe', timeout: 5, serial: false, kernel: '/k', initrd: '/i', kernelArgs: [],
    });
    expect(text).toContain("menuentry 'Safe' --id 'safe' --hotkey='s' {\n  linux /k 'nomodeset'\n");
  });

  it('leaves out the serial terminal when asked', () => {
    const text = renderGrubMenu({ entries: defaultMenuEntries('x'), defaultEntry: 'live', timeout: 0, serial: false, kernel: '/k', initrd: '/i', kernelArgs: [] });
    expect(text).not.toContain('serial');
    expect(text).toContain('  linux /k\n');
  });

  it('finds the medium by label and can chain to its grub.cfg', () => {
    expect(renderSearchConfig('LIVE', { configfile: true })).toBe(
      "search --no-floppy --set=root --label 'LIVE'\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n",
    );
  });
});
