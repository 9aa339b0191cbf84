import { execa } from 'execa';
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLiveInitramfs, listCpio } from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';
import { debianKernel, type Kernel } from './kernel.js';
import { bootAndCollect } from './qemu.js';

let kernel: Kernel;
let work: string;
let rootfs: string;
let initrd: string;

/** The live system's own init: proves it runs from the overlay, then powers off. */
const liveSystemInit = `#!/bin/busybox sh
echo "LIVE-ROOT-REACHED pid=$$"
/bin/busybox grep -E ' / overlay ' /proc/mounts && echo "LIVE-ROOT-IS-OVERLAY"
/bin/busybox touch /written-at-runtime && echo "LIVE-ROOT-WRITABLE"
/bin/busybox cat /etc/live-release
/bin/busybox poweroff -f
`;

beforeAll(async () => {
  kernel = await debianKernel();
  work = await tempDir();
  rootfs = join(work, 'rootfs');
  for (const dir of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'run', 'tmp'])
    await mkdir(join(rootfs, dir), { recursive: true });
  await copyFile('/bin/busybox', join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  await symlink('busybox', join(rootfs, 'bin/sh'));
  await writeFile(join(rootfs, 'sbin/init'), liveSystemInit, { mode: 0o755 });
  await writeFile(join(rootfs, 'etc/live-release'), 'distroforge live test root\n');
  const iso = join(work, 'iso');
  await mkdir(join(iso, 'live'), { recursive: true });
  await execa('mksquashfs', [
    rootfs,
    join(iso, 'live/filesystem.squashfs'),
    '-noappend',
    '-all-root',
    '-quiet',
    '-comp',
    'gzip',
  ]);
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'DFLIVE', '-o', join(work, 'live.iso'), iso]);
  initrd = join(work, 'live-initrd.img');
  await buildLiveInitramfs({
    modulesDir: kernel.modulesDir,
    output: initrd,
    compress: 'zstd',
    level: 9,
    live: { label: 'DFLIVE' },
  });
}, 300_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('live boot in QEMU (Debian kernel, TCG)', () => {
  it('the live initramfs holds the live init and the modules it loads', async () => {
    const names = (await listCpio(initrd)).map((e) => e.name);
    expect(names).toContain('init');
    for (const module of ['loop', 'squashfs', 'overlay', 'isofs', 'virtio_blk']) {
      expect(names.some((n) => n.endsWith(`/${module}.ko`))).toBe(true);
    }
  });

  it('finds the ISO by label on a virtio disk, loop-mounts the squashfs with copytoram, overlays it and switches root', async () => {
    const { console: text } = await bootAndCollect({
      kernel: kernel.vmlinuz,
      initrd,
      append: 'console=ttyS0 panic=-1 quiet live.copytoram',
      extraArgs: ['-drive', `file=${join(work, 'live.iso')},format=raw,if=virtio,readonly=on`],
      until: /distroforge live test root|live: RESCUE: .*/,
    });
    expect(text).toMatch(/live: found LABEL=DFLIVE at \/dev\/vd/);
    expect(text).toContain('live: copytoram done, medium released');
    expect(text).toContain('live: switching to /sbin/init');
    expect(text).toContain('LIVE-ROOT-REACHED pid=1');
    expect(text).toContain('LIVE-ROOT-IS-OVERLAY');
    expect(text).toContain('LIVE-ROOT-WRITABLE');
    expect(text).not.toContain('RESCUE');
  }, 300_000);

  it('boots the root directory itself over 9p (dev loop, no image)', async () => {
    const { console: text } = await bootAndCollect({
      kernel: kernel.vmlinuz,
      initrd,
      append: 'console=ttyS0 panic=-1 quiet live.root=9p live.tag=rootfs',
      extraArgs: ['-virtfs', `local,path=${rootfs},mount_tag=rootfs,security_model=none,readonly=on`],
      until: /distroforge live test root|live: RESCUE: .*/,
    });
    expect(text).toContain('live: mounted the 9p share rootfs');
    expect(text).toContain('LIVE-ROOT-REACHED pid=1');
    expect(text).toContain('LIVE-ROOT-WRITABLE');
  }, 300_000);

  it('drops to a rescue shell that says why when the medium never appears', async () => {
    const { console: text } = await bootAndCollect({
      kernel: kernel.vmlinuz,
      initrd,
      append: 'console=ttyS0 panic=-1 quiet live.label=NOSUCHLABEL live.timeout=2',
      until: /live: starting a rescue shell/,
    });
    expect(text).toMatch(/live: RESCUE: boot medium LABEL=NOSUCHLABEL not found after 2 s/);
  }, 300_000);
});
