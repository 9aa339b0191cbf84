// Builds one disk image (BIOS + UEFI with Secure Boot pieces) with a busybox root and boots it
// twice: UEFI with Secure Boot enforced as a virtio disk first (shim, Debian's signed GRUB, our stub
// config and menu; the root's init writes /persist), then BIOS as a USB-storage disk (our core.img
// behind boot.img; the init finds the file). Also: root=PARTUUID, the manifest applied, a
// persistent writable root. The plain UEFI GRUB image is boot-loader's, boot-tested in iso-assemble.
import { launch } from '@distroforge/qemu-launch';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleDisk, type AssembledDisk } from '@distroforge/disk-assemble';
import { buildInitramfs, buildRootTree, epoch, kernelFiles, rootManifest } from './fixtures.js';

let work: string;
let disk: AssembledDisk;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-boot-'));
  const { vmlinuz, modulesDir } = await kernelFiles();
  disk = await assembleDisk({
    output: join(work, 'disk.img'),
    root: { directory: await buildRootTree(work), manifest: rootManifest, freeSpace: 16 << 20 },
    kernel: vmlinuz,
    initrd: await buildInitramfs(work, modulesDir),
    kernelArgs: 'console=ttyS0',
    sourceDateEpoch: epoch,
    menu: { timeout: 0 },
    secureBoot: true,
  });
}, 180_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function boot(
  firmware: 'uefi' | 'bios',
  diskInterface: 'virtio' | 'usb',
  markers: readonly RegExp[],
): Promise<string> {
  const secureBoot = firmware === 'uefi';
  const vm = await launch({
    disks: [{ path: disk.path, format: 'raw', interface: diskInterface }],
    firmware,
    secureBoot,
    accel: 'tcg',
    logDir: work,
    name: firmware,
  });
  try {
    let seen = { match: '', elapsedMs: 0 };
    try {
      for (const marker of markers) seen = await vm.waitFor(marker, { timeout: 300_000 });
    } catch (error) {
      // What the firmware and kernel said about Secure Boot, from the whole console log: a missing
      // marker is then told apart from a boot that really ran without Secure Boot enforced.
      await vm.kill();
      const log = await readFile(vm.logFile, 'utf8').catch(() => '');
      const said = log
        .split('\n')
        .filter((line) => /secure ?boot|shim|EFI stub/i.test(line))
        .slice(0, 20);
      throw new Error(
        `${firmware} ${diskInterface} boot: ${String(error)}\nSecure Boot lines of ${vm.logFile}:\n${said.join('\n')}`,
        { cause: error },
      );
    }
    console.log(`${firmware} ${diskInterface} boot: ${seen.match} after ${(seen.elapsedMs / 1000).toFixed(1)} s`);
    await vm.exited;
    return vm.lastLines(200).join('\n');
  } finally {
    await vm.kill();
  }
}

describe('booting the disk image', () => {
  it('boots under UEFI Secure Boot as a virtio disk, mounts root=PARTUUID and writes to it; then under BIOS as a USB-storage disk and finds the file', async () => {
    // The kernel says so only when the firmware enforced Secure Boot (shim and GRUB verified it).
    const first = await boot('uefi', 'virtio', [/secureboot: Secure boot enabled/, /DISK-FIRST-BOOT/]);
    expect(first).toContain(`initramfs: root ${disk.root.partuuid.toLowerCase()} is /dev/vda`);
    expect(first).toMatch(/root-init: secret 1000:1000 600 console character special file 5:1/);
    const second = await boot('bios', 'usb', [/DISK-SECOND-BOOT found: written on the first boot/]);
    expect(second).toContain(`initramfs: root ${disk.root.partuuid.toLowerCase()} is /dev/sda`);
    expect(second).toContain('DISK-SECOND-BOOT found: written on the first boot');
  }, 700_000);
});
