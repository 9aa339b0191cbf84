// Boots a kernel + busybox initramfs headless, waits for the shell, runs a command over the
// serial console, asks QMP for the status and powers the guest off.
// Usage: node examples/boot-busybox.mjs KERNEL INITRD
import { launch } from '@distroforge/qemu-launch';

const [kernel, initrd] = process.argv.slice(2);
const vm = await launch({ kernel, initrd, append: 'console=ttyS0 panic=-1 quiet', memory: 256 });
console.log(`accelerator: ${vm.accel} (${vm.accelReason})`);

const prompt = await vm.waitFor('/ # ', { timeout: 180_000 });
console.log(`shell prompt after ${(prompt.elapsedMs / 1000).toFixed(1)} s`);

await vm.send('uname -sr\n');
const { groups } = await vm.waitFor(/\n(Linux \S+)\r?\n/, { timeout: 30_000 });
console.log(`guest says: ${groups[0]}`);

const status = await vm.qmp.execute('query-status');
console.log(`QMP status: ${status.status}`);

// ACPI power-off first (the guest needs something like acpid); if it ignores the button, QMP `quit` after 5 s.
const { how, exit } = await vm.shutdown({ timeout: 5_000 });
console.log(`shutdown: ${how}, QEMU exit code ${exit.exitCode}`);
