import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxInitramfs, listCpio } from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';
import { debianKernel, type Kernel } from './kernel.js';
import { bootAndCollect } from './qemu.js';

let kernel: Kernel;
let work: string;
beforeAll(async () => {
  kernel = await debianKernel();
  work = await tempDir();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('buildBusyboxInitramfs', () => {
  it('contains busybox, every applet link, /init, the console device and the module closure', async () => {
    const output = join(work, 'contents.img');
    const result = await buildBusyboxInitramfs({
      output,
      modules: { dir: kernel.modulesDir, names: ['squashfs', 'overlay'] },
      compress: 'none',
    });
    const entries = await listCpio(output);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('bin/busybox')).toMatchObject({ type: 'file', mode: 0o755, uid: 0 });
    expect(byName.get('init')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(byName.get('dev/console')).toMatchObject({ type: 'char', rdevMajor: 5, rdevMinor: 1 });
    expect(result.applets.length).toBeGreaterThan(100);
    for (const applet of result.applets)
      expect(byName.get(applet)).toMatchObject({ type: 'symlink', target: '/bin/busybox' });
    for (const module of result.modules!.modules)
      expect(byName.has(`lib/modules/${kernel.version}/${module.path}`)).toBe(true);
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });

  it('is deterministic', async () => {
    const a = await buildBusyboxInitramfs({
      output: join(work, 'a.img'),
      compress: 'zstd',
      level: 3,
      sourceDateEpoch: 1_700_000_000,
    });
    const b = await buildBusyboxInitramfs({
      output: join(work, 'b.img'),
      compress: 'zstd',
      level: 3,
      sourceDateEpoch: 1_700_000_000,
    });
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(a.output)).equals(await readFile(b.output))).toBe(true);
  });

  it('refuses a dynamically linked busybox', async () => {
    await expect(buildBusyboxInitramfs({ output: join(work, 'dyn.img'), busybox: '/bin/ls' })).rejects.toMatchObject({
      code: 'ERR_BUSYBOX_NOT_STATIC',
    });
  });

  it("boots with Debian's kernel: modprobe squashfs overlay succeeds and the marker is printed (xz, after an uncompressed early archive)", async () => {
    const initrd = join(work, 'boot.img');
    const early = join(work, 'early');
    await mkdir(early);
    await writeFile(join(early, 'early-segment'), 'EARLY-SEGMENT-UNPACKED\n');
    const built = await buildBusyboxInitramfs({
      output: initrd,
      compress: 'xz',
      prepend: [{ input: { directory: early, owner: 'root' }, compress: 'none' }],
      modules: { dir: kernel.modulesDir, names: ['squashfs', 'overlay'] },
      init: {
        marker: 'BOOT-TEST-MARKER',
        commands: [
          "grep -E '^(squashfs|overlay) ' /proc/modules | cut -d' ' -f1 | sort | tr '\\n' ' '; echo",
          'mkdir -p /m/l /m/u /m/w /m/o && mount -t overlay overlay -o lowerdir=/m/l,upperdir=/m/u,workdir=/m/w /m/o',
          'cat /early-segment',
        ],
      },
    });
    expect(built.marker).toBe('BOOT-TEST-MARKER');
    expect((await listCpio(initrd)).map((e) => `${e.archive}:${e.compression}`)).toContain('1:xz');
    const { console: text } = await bootAndCollect({
      kernel: kernel.vmlinuz,
      initrd,
      append: 'console=ttyS0 panic=-1 quiet',
      until: /distroforge-init: command 3 exit \d+/,
    });
    expect(text).toContain('distroforge-init: modprobe squashfs: ok');
    expect(text).toContain('distroforge-init: modprobe overlay: ok');
    expect(text).toMatch(/^BOOT-TEST-MARKER\r?$/m);
    expect(text).toMatch(/^overlay squashfs \r?$/m);
    expect(text).toContain('distroforge-init: command 2 exit 0');
    expect(text).toContain('EARLY-SEGMENT-UNPACKED');
  }, 300_000);
});
