// Boot stages from console milestones: every milestone seen, some missing (folded into the next
// stage), a failed boot (stages so far), and milestones that cannot be right (out of order).
import { describe, expect, it } from 'vitest';
import { bootStages, formatBootStages } from '@distroforge/cli';

/** A firstSeen over a fake console: the first milestone whose pattern matches one of these lines. */
function console(lines: [number, string][]): (pattern: RegExp) => number | undefined {
  return (pattern) => lines.find(([, text]) => pattern.test(text))?.[0];
}

const isoBoot: [number, string][] = [
  [900, '\x1b[2;24HGNU GRUB  version 2.06-13+deb12u2'],
  [3000, '[    0.000000] Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org)'],
  [5800, '[    2.770742] Run /init as init process'],
  [11_000, 'live: switching to /sbin/init'],
];

describe('bootStages', () => {
  it('splits an ISO boot at the boot loader, the kernel banner, /init and the switch to the system', () => {
    const stages = bootStages(console(isoBoot), 31_000);
    expect(stages).toEqual([
      { stage: 'firmware', ms: 900 },
      { stage: 'bootloader', ms: 2100 },
      { stage: 'kernel', ms: 2800 },
      { stage: 'initramfs', ms: 5200 },
      { stage: 'system', ms: 20_000 },
    ]);
    expect(formatBootStages(stages)).toBe(
      'firmware 0.9 s, bootloader 2.1 s, kernel 2.8 s, initramfs 5.2 s, system 20.0 s',
    );
  });

  it('joins stages the console shows no milestone between (direct boot, quiet kernel, initramfs-only system)', () => {
    const direct: [number, string][] = [
      [1200, '[    0.000000] Linux version 6.1.0-57-amd64'],
      [2400, '[    1.100000] Run /init as init process'],
    ];
    expect(bootStages(console(direct), 8000).map((s) => s.stage)).toEqual([
      'firmware+bootloader',
      'kernel',
      'initramfs+system',
    ]);
    const quiet = isoBoot.filter(([, text]) => !text.includes('Linux version') && !text.includes('Run /init'));
    expect(bootStages(console(quiet), 31_000)).toEqual([
      { stage: 'firmware', ms: 900 },
      { stage: 'bootloader+kernel+initramfs', ms: 10_100 },
      { stage: 'system', ms: 20_000 },
    ]);
  });

  it('gives the stages completed so far for a failed boot, and ignores milestones out of order', () => {
    expect(bootStages(console(isoBoot.slice(0, 3)), undefined)).toEqual([
      { stage: 'firmware', ms: 900 },
      { stage: 'bootloader', ms: 2100 },
      { stage: 'kernel', ms: 2800 },
    ]);
    // A "switch" seen before /init (a stray echo) cannot end the initramfs stage.
    const odd: [number, string][] = [...isoBoot.slice(0, 2), [2500, 'live: switching to /sbin/init'], isoBoot[2]!];
    expect(bootStages(console(odd), 9000).map((s) => s.stage)).toEqual([
      'firmware',
      'bootloader',
      'kernel',
      'initramfs+system',
    ]);
    expect(bootStages(() => undefined, 4000)).toEqual([
      { stage: 'firmware+bootloader+kernel+initramfs+system', ms: 4000 },
    ]);
  });
});
