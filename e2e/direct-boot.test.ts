// The walking skeleton: a busybox initramfs with the module closure for squashfs + overlayfs,
// booted with Debian's real kernel in QEMU (direct kernel boot), asserted on the serial console.
import { execa } from 'execa';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildBusyboxInitramfs, listCpio } from '@distroforge/initramfs-cpio';
import { launch, type QemuInstance } from '@distroforge/qemu-launch';

const repo = resolve(import.meta.dirname, '..');
let kernel = '';
let modulesDir = '';
let initrd = '';
let qemu: QemuInstance | undefined;

beforeAll(async () => {
  const { stdout } = await execa(join(repo, 'tools', 'fetch-kernel'));
  const dir = stdout.trim();
  const version = (await readdir(join(dir, 'lib', 'modules')))[0]!;
  kernel = join(dir, 'boot', `vmlinuz-${version}`);
  modulesDir = join(dir, 'lib', 'modules', version);
  initrd = join(await mkdtemp(join(tmpdir(), 'df-e2e-direct-')), 'initrd.img');
});

afterAll(async () => {
  await qemu?.kill().catch(() => undefined);
});

it('packs busybox, init and the squashfs + overlay module closure', async () => {
  const result = await buildBusyboxInitramfs({
    modules: { dir: modulesDir, names: ['squashfs', 'overlay'] },
    init: {
      marker: 'E2E-DIRECT-BOOT-MARKER',
      commands: [
        'modprobe squashfs && modprobe overlay && grep -E "^(squashfs|overlay) " /proc/modules | sort | cut -d" " -f1 | tr "\\n" " "; echo END',
      ],
      then: 'poweroff',
    },
    output: initrd,
    compress: 'zstd',
    sourceDateEpoch: 1_700_000_000,
  });
  const names = (await listCpio(initrd)).map((e) => e.name);
  expect(names).toContain('init');
  expect(names).toContain('bin/busybox');
  expect(names.some((n) => /kernel\/fs\/squashfs\/squashfs\.ko/.test(n))).toBe(true);
  expect(names.some((n) => /kernel\/fs\/overlayfs\/overlay\.ko/.test(n))).toBe(true);
  expect(names.some((n) => n.endsWith('/modules.dep.bin'))).toBe(true);
  expect(result.marker).toBe('E2E-DIRECT-BOOT-MARKER');
});

it('boots with Debian\u2019s kernel, prints the marker and loads squashfs and overlay', async () => {
  qemu = await launch({ kernel, initrd, append: 'console=ttyS0,115200 panic=-1 quiet', memory: 512, machine: 'q35' });
  const marker = await qemu.waitFor('E2E-DIRECT-BOOT-MARKER', { timeout: 300_000 });
  const loaded = await qemu.waitFor(/command 1: [^\n]*\n([^\n]*END)/, { timeout: 120_000 });
  console.log(`direct boot: marker after ${marker.elapsedMs} ms (${qemu.accel})`);
  expect(loaded.groups[0]).toContain('overlay squashfs');
  const exit = await qemu.exited;
  expect(exit).toBeDefined();
}, 600_000);
