import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseAccel, probeKvm } from '@distroforge/qemu-launch';
import { kvmProbeImage, PROBE_EXIT_CODE } from '../src/_kvm-probe-image.js';

describe('KVM probe', () => {
  it('the probe guest runs to completion under TCG and exits with its code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvm-probe-test-'));
    try {
      await writeFile(join(dir, 'probe.bin'), kvmProbeImage());
      const args = [
        '-nodefaults',
        '-machine',
        'pc',
        '-accel',
        'tcg',
        '-m',
        '64M',
        '-display',
        'none',
        '-no-reboot',
        '-kernel',
        join(dir, 'probe.bin'),
        '-device',
        'isa-debug-exit,iobase=0xf4,iosize=4',
      ];
      const result = await execa('qemu-system-x86_64', args, { reject: false, timeout: 30_000 });
      expect(result.exitCode).toBe(PROBE_EXIT_CODE);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('auto reports a decision with a reason, and the probe result is cached per process', async () => {
    const first = await probeKvm('qemu-system-x86_64', 6000);
    expect(first.reason).toMatch(/\S/);
    expect(await probeKvm('qemu-system-x86_64', 6000)).toBe(first);
    const choice = await chooseAccel({ accel: 'auto', kvmProbeTimeout: 6000 }, 'qemu-system-x86_64');
    expect(choice.accel).toBe(first.usable ? 'kvm' : 'tcg');
    expect(await chooseAccel({ accel: 'tcg', kvmProbeTimeout: 6000 }, 'qemu-system-x86_64')).toEqual({
      accel: 'tcg',
      reason: 'TCG requested',
    });
  });
});
