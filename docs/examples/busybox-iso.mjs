// Three distroforge packages composed without the CLI: a busybox initramfs (initramfs-cpio), a
// hybrid ISO around it (iso-assemble), booted from QEMU's CD drive under BIOS (qemu-launch).
// Usage: node busybox-iso.mjs VMLINUZ   (e.g. Debian's /boot/vmlinuz-6.1.0-...-amd64)
import { buildBusyboxInitramfs } from '@distroforge/initramfs-cpio';
import { assembleIso } from '@distroforge/iso-assemble';
import { launch } from '@distroforge/qemu-launch';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [kernel] = process.argv.slice(2);
const work = await mkdtemp(join(tmpdir(), 'busybox-iso-'));
const epoch = 1700000000;

// 1. The whole system: static busybox, an init that prints a marker and runs one command.
const initrd = join(work, 'initrd.img');
const built = await buildBusyboxInitramfs({
  output: initrd,
  sourceDateEpoch: epoch,
  init: { marker: 'HELLO-FROM-THE-CD', commands: ['cat /proc/cmdline'], then: 'poweroff' },
});
console.log(`initramfs: busybox with ${built.applets.length >= 100 ? 'over 100' : built.applets.length} applets`);

// 2. A hybrid ISO (BIOS + UEFI, CD or USB stick), its GRUB menu booting at once.
const iso = await assembleIso({
  output: join(work, 'hello.iso'),
  label: 'HELLO',
  kernel,
  initrd,
  kernelArgs: 'console=ttyS0 panic=-1',
  menu: { title: 'Hello', timeout: 0 },
  sourceDateEpoch: epoch,
});
const modes = Object.keys(iso.boot).filter((mode) => iso.boot[mode]);
console.log(`ISO: ${iso.label}, boots ${modes.join(' and ')}`);

// 3. Boot it from the CD drive under SeaBIOS and wait for the init's marker on the serial console.
const vm = await launch({ iso: iso.path, memory: 256 });
await vm.waitFor('HELLO-FROM-THE-CD', { timeout: 300_000 });
const { groups } = await vm.waitFor(/(console=ttyS0 panic=-1)/, { timeout: 60_000 });
console.log(`booted from the CD; the kernel command line has: ${groups[0]}`);
await vm.shutdown({ timeout: 5_000 });
await rm(work, { recursive: true });
