// GRUB's script pieces: quoting, the menu (serial + console, default, timeout, hotkeys, no insmod)
// and the label search. Moved from iso-assemble's options tests with the code.
import { describe, expect, it } from 'vitest';
import { defaultMenuEntries, grubQuote, renderGrubMenu, renderSearchConfig } from '@distroforge/boot-loader';

describe('GRUB scripts', () => {
  it('quotes words like sh does, so titles and arguments cannot break out', () => {
    expect(grubQuote("it's $x")).toBe(`'it'\\''s $x'`);
  });

  it('renders the menu with serial + console terminals, the default, the timeout and quoted arguments', () => {
    const text = renderGrubMenu({
      entries: defaultMenuEntries("Bob's live", ['live.copytoram']),
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
    expect(text).toContain(
      `menuentry 'Bob'\\''s live (safe mode)' --id 'safe' {\n  linux /live/vmlinuz 'boot=live' 'console=ttyS0' 'nomodeset'\n  initrd /live/initrd.img\n}`,
    );
    expect(text).toContain("'live.copytoram'");
    expect(text).toMatch(
      /menuentry 'Boot from first local disk' --id 'local' \{\n {2}if \[ "\$grub_platform" = efi \]; then\n {4}exit/,
    );
    expect(text).not.toMatch(/insmod/);
  });

  it('renders hotkeys', () => {
    const text = renderGrubMenu({
      entries: [{ type: 'linux', id: 'safe', title: 'Safe', append: ['nomodeset'], hotkey: 's' }],
      defaultEntry: 'safe',
      timeout: 5,
      serial: false,
      kernel: '/k',
      initrd: '/i',
      kernelArgs: [],
    });
    expect(text).toContain("menuentry 'Safe' --id 'safe' --hotkey='s' {\n  linux /k 'nomodeset'\n");
  });

  it('leaves out the serial terminal when asked', () => {
    const text = renderGrubMenu({
      entries: defaultMenuEntries('x', ['live.copytoram']),
      defaultEntry: 'live',
      timeout: 0,
      serial: false,
      kernel: '/k',
      initrd: '/i',
      kernelArgs: [],
    });
    expect(text).not.toContain('serial');
    expect(text).toContain('  linux /k\n');
  });

  it('finds the medium by label and can chain to its grub.cfg', () => {
    expect(renderSearchConfig('LIVE', { configfile: true })).toBe(
      "search --no-floppy --set=root --label 'LIVE'\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n",
    );
  });
});
