import { clearToolCache } from '@distroforge/core';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOvmf, launch, QemuExitedError, QemuInputMissingError, QemuOptionsError } from '@distroforge/qemu-launch';
import { makeGuest, type Guest } from './_guest.js';

let guest: Guest;
beforeAll(async () => {
  guest = await makeGuest();
});
afterAll(async () => {
  if (guest) await rm(guest.dir, { recursive: true, force: true });
});

describe('failures say what happened', () => {
  it('QEMU exiting at start (unknown device) rejects with QemuExitedError carrying its stderr', async () => {
    const error = await launch({
      kernel: guest.kernel,
      accel: 'tcg',
      logDir: guest.logDir,
      extraArgs: ['-device', 'no-such-device-xyz'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QemuExitedError);
    const exited = error as QemuExitedError;
    expect(exited.code).toBe('ERR_QEMU_EXITED');
    expect(exited.exit.exitCode).toBe(1);
    expect(exited.stderrTail).toContain('no-such-device-xyz');
    expect(exited.message).toContain("'no-such-device-xyz' is not a valid device model name");
    expect(exited.path).toMatch(/qemu\.stderr\.log$/);
  });

  it('QEMU missing from PATH is a ToolMissingError with the install command', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    clearToolCache();
    try {
      const error = await launch({ kernel: guest.kernel, accel: 'tcg' }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'ERR_TOOL_MISSING',
        tool: 'qemu-system-x86_64',
        hint: 'install it with: apt-get install qemu-system-x86',
      });
    } finally {
      process.env.PATH = path;
      clearToolCache();
    }
  });

  it('missing OVMF is a ToolMissingError naming apt-get install ovmf', async () => {
    await expect(findOvmf({ dirs: ['/nonexistent'] })).rejects.toMatchObject({
      code: 'ERR_TOOL_MISSING',
      hint: expect.stringContaining('apt-get install ovmf'),
    });
    await expect(findOvmf({ secureBoot: true, dirs: ['/nonexistent'] })).rejects.toMatchObject({
      value: 'OVMF_CODE_4M.ms.fd',
    });
  });

  it('a missing kernel, ISO or disk is named before QEMU starts', async () => {
    await expect(launch({ kernel: '/nonexistent/vmlinuz' })).rejects.toBeInstanceOf(QemuInputMissingError);
    await expect(launch({ iso: '/nonexistent.iso' })).rejects.toMatchObject({
      code: 'ERR_QEMU_INPUT_MISSING',
      path: '/nonexistent.iso',
    });
    await expect(launch({ disks: [{ path: '/nonexistent.img', interface: 'usb' }] })).rejects.toMatchObject({
      value: 'disk image 0',
    });
  });

  it('invalid options are QemuOptionsError naming the key', async () => {
    await expect(launch({ secureBoot: true })).rejects.toMatchObject({ code: 'ERR_QEMU_OPTIONS', value: 'secureBoot' });
    await expect(launch({ firmware: 'uefi', secureBoot: true, machine: 'pc' })).rejects.toThrow(/needs machine: 'q35'/);
    await expect(launch({ memory: '1T' as never })).rejects.toBeInstanceOf(QemuOptionsError);
    await expect(launch({ initrd: guest.initrd })).rejects.toMatchObject({ value: 'initrd' });
    await expect(launch({ pvh: true })).rejects.toMatchObject({ code: 'ERR_QEMU_OPTIONS', value: 'pvh' });
    await expect(launch({ kernel: guest.kernel, kernelCache: '/tmp/k' })).rejects.toMatchObject({
      code: 'ERR_QEMU_OPTIONS',
      value: 'kernelCache',
    });
    await expect(launch({ bogus: 1 } as never)).rejects.toMatchObject({ code: 'ERR_QEMU_OPTIONS' });
  });
});
