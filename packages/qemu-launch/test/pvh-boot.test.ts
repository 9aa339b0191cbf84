import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootGuestForFile, MARKER } from './_guest.js';

// Debian's real bzImage (xz payload, CONFIG_PVH=y) booted through its PVH entry: the guest must run
// the same kernel with the same command line and initramfs as a bzImage boot would.
const booted = bootGuestForFile((guest) => ({
  append: 'pvh.test=1',
  pvh: true,
  kernelCache: join(guest.dir, 'kernels'),
}));

/** The version string a bzImage carries (boot protocol: kernel_version, a pointer 0x200 bytes off). */
async function bzImageVersion(path: string): Promise<string> {
  const image = await readFile(path);
  const at = image.readUInt16LE(0x20e) + 0x200;
  return image.toString('latin1', at, image.indexOf(0, at)).split(' ')[0] as string;
}

describe('PVH boot of a Debian bzImage', () => {
  it('QEMU gets the extracted ELF kernel, not the bzImage', () => {
    expect(booted.vm.kernelBoot).toMatchObject({ entry: 'pvh', from: booted.guest.kernel, compressor: 'xz' });
    const kernel = booted.vm.command[booted.vm.command.indexOf('-kernel') + 1];
    expect(kernel).toBe(booted.vm.kernelBoot?.kernel);
    expect(kernel).not.toBe(booted.guest.kernel);
  });

  it('the guest runs the bzImage’s kernel with the given command line and initramfs', async () => {
    await booted.vm.waitFor(MARKER, { timeout: 300_000 });
    await booted.vm.waitFor('/ # ', { timeout: 30_000 });
    await booted.vm.send('echo "release=$(uname -r)"; echo "cmdline=$(cat /proc/cmdline)"\n');
    const release = await booted.vm.waitFor(/^release=(\S+)\r?\n/m, { timeout: 30_000 });
    expect(release.groups[0]).toBe(await bzImageVersion(booted.guest.kernel));
    const cmdline = await booted.vm.waitFor(/^cmdline=(.*)\r?\n/m, { timeout: 30_000 });
    expect(cmdline.groups[0]?.trim()).toBe(`${booted.guest.append} pvh.test=1`);
  });
});
