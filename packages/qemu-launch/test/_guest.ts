// Test fixtures: Debian's kernel (unpacked by tools/fetch-kernel) and a tiny busybox initramfs
// made with GNU cpio, whose /init prints a marker, powers off on the ACPI power button (busybox
// acpid) and runs a shell on the serial console.
import { execa } from 'execa';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { launch, type LaunchOptions, type QemuInstance } from '@distroforge/qemu-launch';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const MARKER = 'QEMU-LAUNCH-TEST-READY';

export interface Guest {
  kernel: string;
  initrd: string;
  append: string;
  dir: string;
  /** Where tests put QEMU's logs, so they go away with the guest. */
  logDir: string;
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /lib/modules/*.ko; do insmod "$m"; done
# acpid opens the input devices once: wait for the power button's (event0 is the keyboard).
for i in $(seq 100); do [ -e /dev/input/event1 ] && break; sleep 0.1; done
acpid -d -c /etc/acpi &  # -d: foreground, log to the console (no /var/log here)
echo ${MARKER}
exec setsid cttyhack sh
`;

/** Kernel from tools/fetch-kernel plus a fresh initramfs (a few MB, built in well under a second). */
export async function makeGuest(): Promise<Guest> {
  const { stdout } = await execa(join(repoRoot, 'tools/fetch-kernel'), [], { timeout: 600_000 });
  const kernelDir = stdout.trim().split('\n').pop() as string;
  const vmlinuz = (await readdir(join(kernelDir, 'boot'))).find((name) => name.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new Error(`no vmlinuz in ${kernelDir}/boot`);
  const version = vmlinuz.slice('vmlinuz-'.length);

  const dir = await mkdtemp(join(tmpdir(), 'qemu-launch-test-'));
  const tree = join(dir, 'tree');
  for (const sub of ['bin', 'dev', 'proc', 'sys', 'lib/modules', 'etc/acpi/PWRF', 'mnt'])
    await mkdir(join(tree, sub), { recursive: true });
  await copyFile('/bin/busybox', join(tree, 'bin/busybox'));
  await writeFile(join(tree, 'init'), INIT, { mode: 0o755 });
  await writeFile(join(tree, 'etc/acpi/PWRF/00000080'), '#!/bin/sh\necho QEMU-LAUNCH-TEST-POWEROFF\npoweroff -f\n', {
    mode: 0o755,
  });
  // In load order: virtio + 9p (for the share test), then the ACPI power button driver and evdev
  // so acpid sees the button QMP system_powerdown presses.
  const modules = [
    'drivers/virtio/virtio_ring',
    'drivers/virtio/virtio',
    'drivers/virtio/virtio_pci_modern_dev',
    'drivers/virtio/virtio_pci_legacy_dev',
    'drivers/virtio/virtio_pci',
    'fs/netfs/netfs',
    'fs/fscache/fscache',
    'net/9p/9pnet',
    'net/9p/9pnet_virtio',
    'fs/9p/9p',
    'drivers/acpi/button',
    'drivers/input/evdev',
  ];
  for (const [i, module] of modules.entries()) {
    const name = `${String(i).padStart(2, '0')}-${module.split('/').pop()}.ko`;
    await copyModule(
      join(kernelDir, 'lib/modules', version, 'kernel', `${module}.ko`),
      join(tree, 'lib/modules', name),
    );
  }
  await chmod(join(tree, 'bin/busybox'), 0o755);

  const initrd = join(dir, 'initrd.cpio');
  const list = (await listTree(tree)).join('\n');
  const cpio = await execa('cpio', ['-o', '-H', 'newc', '--quiet', '-O', initrd], { cwd: tree, input: `${list}\n` });
  if (cpio.exitCode !== 0) throw new Error(`cpio failed: ${cpio.stderr}`);
  return {
    kernel: join(kernelDir, 'boot', vmlinuz),
    initrd,
    append: 'console=ttyS0 panic=-1 quiet',
    dir,
    logDir: join(dir, 'logs'),
  };
}

/** Copies a module, decompressing .ko.xz/.ko.zst (Debian 13) since busybox insmod takes plain .ko. */
async function copyModule(path: string, to: string): Promise<void> {
  for (const [suffix, tool] of [
    ['', undefined],
    ['.xz', 'xz'],
    ['.zst', 'zstd'],
  ] as const) {
    try {
      if (tool === undefined) await copyFile(path, to);
      else await execa(tool, ['-dc', `${path}${suffix}`], { stdout: { file: to } });
      return;
    } catch {
      // try the next compression
    }
  }
  throw new Error(`module not found: ${path}`);
}

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      out.push(relative(root, full));
      if (entry.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return out;
}

/**
 * One guest booted once for a whole test file (boots take seconds under TCG): made and launched
 * in beforeAll (256 MiB, its logs in the guest's directory; `extra` adds options, its `append` goes
 * after the guest's command line), killed and removed in afterAll. The tests read `booted.guest`
 * and `booted.vm`.
 */
export function bootGuestForFile(extra: (guest: Guest) => Partial<LaunchOptions> = () => ({})): {
  guest: Guest;
  vm: QemuInstance;
} {
  const booted = {} as { guest: Guest; vm: QemuInstance };
  beforeAll(async () => {
    const guest = await makeGuest();
    booted.guest = guest;
    const more = extra(guest);
    booted.vm = await launch({
      kernel: guest.kernel,
      initrd: guest.initrd,
      memory: 256,
      logDir: guest.logDir,
      ...more,
      append: more.append === undefined ? guest.append : `${guest.append} ${more.append}`,
    });
  });
  afterAll(async () => {
    await booted.vm?.kill();
    if (booted.guest) await rm(booted.guest.dir, { recursive: true, force: true });
  });
  return booted;
}
