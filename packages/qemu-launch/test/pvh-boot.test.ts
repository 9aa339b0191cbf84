import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, type QemuInstance } from '@distroforge/qemu-launch';
import { makeGuest, MARKER, type Guest } from './_guest.js';

// Debian's real bzImage (xz payload, CONFIG_PVH=y) booted through its PVH entry: the guest must run
// the same kernel with the same command line and initramfs as a bzImage boot would.
let guest: Guest;
let vm: QemuInstance;

beforeAll(async () => {
  guest = await makeGuest();
  vm = await launch({
    kernel: guest.kernel,
    initrd: guest.initrd,
    append: `${guest.append} pvh.test=1`,
    memory: 256,
    logDir: guest.logDir,
    pvh: true,
    kernelCache: join(guest.dir, 'kernels'),
  });
});

afterAll(async () => {
  await vm?.kill();
  if (guest) await rm(guest.dir, { recursive: true, force: true });
});

/** The version string a bzImage carries (boot protocol: kernel_version, a pointer 0x200 bytes off). */
async function bzImageVersion(path: string): Promise<string> {
  const image = await readFile(path);
  const at = image.readUInt16LE(0x20e) + 0x200;
  return image.toString('latin1', at, image.indexOf(0, at)).split(' ')[0] as string;
}

describe('PVH boot of a Debian bzImage', () => {
  it('QEMU gets the extracted ELF kernel, not the bzImage', () => {
    expect(vm.kernelBoot).toMatchObject({ entry: 'pvh', from: guest.kernel, compressor: 'xz' });
    const kernel = vm.command[vm.command.indexOf('-kernel') + 1];
    expect(kernel).toBe(vm.kernelBoot?.kernel);
    expect(kernel).not.toBe(guest.kernel);
  });

  it('the guest runs the bzImage’s kernel with the given command line and initramfs', async () => {
    await vm.waitFor(MARKER, { timeout: 300_000 });
    await vm.waitFor('/ # ', { timeout: 30_000 });
    await vm.send('echo "release=$(uname -r)"; echo "cmdline=$(cat /proc/cmdline)"\n');
    const release = await vm.waitFor(/^release=(\S+)\r?\n/m, { timeout: 30_000 });
    expect(release.groups[0]).toBe(await bzImageVersion(guest.kernel));
    const cmdline = await vm.waitFor(/^cmdline=(.*)\r?\n/m, { timeout: 30_000 });
    expect(cmdline.groups[0]?.trim()).toBe(`${guest.append} pvh.test=1`);
  });
});
