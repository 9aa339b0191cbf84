import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch } from '@distroforge/qemu-launch';
import { makeGuest, MARKER, type Guest } from './_guest.js';

let guest: Guest;
beforeAll(async () => {
  guest = await makeGuest();
});
afterAll(async () => {
  if (guest) await rm(guest.dir, { recursive: true, force: true });
});

describe('UEFI', () => {
  it('OVMF boots the kernel through its EFI stub, with a private copy of the vars file', async () => {
    await using vm = await launch({
      firmware: 'uefi',
      kernel: guest.kernel,
      initrd: guest.initrd,
      append: guest.append,
      memory: 256,
      accel: 'tcg',
      logDir: guest.logDir,
    });
    const pflash = vm.command.filter((arg) => arg.startsWith('if=pflash'));
    expect(pflash[0]).toBe('if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd');
    expect(pflash[1]).toMatch(/^if=pflash,format=raw,unit=1,file=\/.*qemu-run-[^/]+\/OVMF_VARS\.fd$/);
    const found = await vm.waitFor(MARKER, { timeout: 240_000 });
    expect(found.elapsedMs).toBeGreaterThan(0);
    // The kernel booted through EFI: /sys/firmware/efi exists (the echoed command line cannot match).
    await vm.send('echo "efi: $(ls -d /sys/firmware/efi)"\n');
    await vm.waitFor('efi: /sys/firmware/efi', { timeout: 30_000 });
  }, 300_000);
});
