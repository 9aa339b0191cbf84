import { execa } from 'execa';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CpioEntry,
  KernelModuleNotFoundError,
  kernelModuleEntries,
  MODULE_INDEX_FILES,
  resolveModuleClosure,
} from '@distroforge/initramfs-cpio';
import { debianKernel, modprobeShowDepends, type Kernel } from './kernel.js';
import { tempDir } from './helpers.js';

let kernel: Kernel;
let work: string;
beforeAll(async () => {
  kernel = await debianKernel();
  work = await tempDir();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('resolveModuleClosure against modprobe --show-depends (Debian kernel)', () => {
  it.each([
    'squashfs',
    'overlay',
    'virtio_blk',
    '9p',
    'ext4',
    'cifs',
    'virtio-scsi',
    'sr_mod',
    'usb-storage',
    'crypto-crc32c',
  ])('%s: same modules in the same order', async (name) => {
    const closure = await resolveModuleClosure({ modulesDir: kernel.modulesDir, names: [name] });
    const oracle = await modprobeShowDepends(kernel, name);
    expect(closure.modules.map((m) => m.path)).toEqual(oracle.filter((line) => !line.startsWith('builtin ')));
  });

  it('squashfs + overlay and virtio_blk + 9p: the union of each closure', async () => {
    for (const pair of [
      ['squashfs', 'overlay'],
      ['virtio_blk', '9p'],
    ]) {
      const closure = await resolveModuleClosure({ modulesDir: kernel.modulesDir, names: pair });
      const oracle = new Set((await Promise.all(pair.map((n) => modprobeShowDepends(kernel, n)))).flat());
      expect(new Set(closure.modules.map((m) => m.path))).toEqual(oracle);
    }
  });

  it('reports built-in modules instead of failing on them', async () => {
    const builtin = (await readFile(join(kernel.modulesDir, 'modules.builtin'), 'utf8'))
      .split('\n')
      .find((l) => l.includes('/fs/'));
    const name = builtin!.replace(/^.*\//, '').replace(/\.ko$/, '');
    expect(await modprobeShowDepends(kernel, name)).toEqual([`builtin ${name.replace(/-/g, '_')}`]);
    const closure = await resolveModuleClosure({ modulesDir: kernel.modulesDir, names: [name] });
    expect(closure).toMatchObject({ modules: [], builtin: [name.replace(/-/g, '_')] });
  });

  it('names an unknown module in a typed error', async () => {
    const error = await resolveModuleClosure({
      modulesDir: kernel.modulesDir,
      names: ['squashfs', 'no_such_module'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelModuleNotFoundError);
    expect(error).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND', value: 'no_such_module', path: kernel.modulesDir });
  });

  it('a directory without modules.dep is ERR_MODULES_DIR', async () => {
    await expect(resolveModuleClosure({ modulesDir: work, names: ['x'] })).rejects.toMatchObject({
      code: 'ERR_MODULES_DIR',
    });
  });

  it('handles .ko.xz and .ko.zst modules (depmod-generated index) like modprobe', async () => {
    const version = '0.0.0-test';
    const modulesDir = join(work, 'root/lib/modules', version);
    const real = await resolveModuleClosure({ modulesDir: kernel.modulesDir, names: ['virtio_blk', '9p'] });
    for (const [i, module] of real.modules.entries()) {
      const target = join(modulesDir, module.path);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(join(kernel.modulesDir, module.path), target);
      await execa(i % 2 ? 'xz' : 'zstd', i % 2 ? ['--check=crc32', '-q', target] : ['-q', '--rm', target]);
    }
    await execa('depmod', ['-b', join(work, 'root'), version], {
      env: { PATH: `${process.env.PATH}:/sbin:/usr/sbin` },
    });
    const oracle = [
      ...(await modprobeShowDepends(kernel, 'virtio_blk', join(work, 'root'), version)),
      ...(await modprobeShowDepends(kernel, '9p', join(work, 'root'), version)),
    ];
    expect(oracle.some((p) => p.endsWith('.ko.xz'))).toBe(true);
    expect(oracle.some((p) => p.endsWith('.ko.zst'))).toBe(true);
    const closure = await resolveModuleClosure({ modulesDir, names: ['virtio-blk', '9p'] });
    expect(closure.modules.map((m) => m.path)).toEqual(oracle);
    const entries = await kernelModuleEntries(closure);
    expect(entries.filter((e) => e.type === 'file').map((e) => e.path)).toEqual(
      expect.arrayContaining(oracle.map((p) => `lib/modules/${version}/${p}`)),
    );
  });

  it("kernelModuleEntries' index is the closure's own: modprobe answers for its modules, knows no other", async () => {
    const names = ['squashfs', 'overlay', 'virtio_blk', 'crypto-crc32c'];
    const closure = await resolveModuleClosure({ modulesDir: kernel.modulesDir, names });
    const entries = await kernelModuleEntries(closure);
    // The archive's tree, as the kernel unpacks it.
    const root = join(work, 'closure-root');
    for (const entry of entries) {
      const target = join(root, entry.path);
      if (entry.type === 'dir') await mkdir(target, { recursive: true });
      else {
        await mkdir(dirname(target), { recursive: true });
        if (entry.source !== undefined) await copyFile(entry.source, target);
        else await writeFile(target, entry.data ?? '');
      }
    }
    const prefix = `lib/modules/${kernel.version}/`;
    const files = entries.filter((e) => e.type === 'file').map((e) => e.path.replace(prefix, ''));
    for (const index of [
      'modules.dep',
      'modules.dep.bin',
      'modules.alias',
      'modules.alias.bin',
      'modules.softdep',
      'modules.symbols',
      'modules.symbols.bin',
      'modules.builtin',
      'modules.builtin.bin',
      'modules.builtin.modinfo',
      'modules.order',
    ])
      expect(files).toContain(index);
    // modules.dep lists exactly the closure, in the kernel's modules.order.
    const dep = await readFile(join(root, prefix, 'modules.dep'), 'utf8');
    const listed = dep
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(0, l.indexOf(':')));
    expect(new Set(listed)).toEqual(new Set(closure.modules.map((m) => m.path)));
    const kernelOrder = (await readFile(join(kernel.modulesDir, 'modules.order'), 'utf8')).split('\n');
    expect(listed).toEqual(kernelOrder.filter((l) => listed.includes(l)));
    // kmod's modprobe (the .bin files) resolves every requested name, aliases included, as it does
    // against the whole kernel's index; busybox's reads the text files (the live-boot tests load
    // modules with it in a real boot).
    for (const name of names)
      expect(await modprobeShowDepends(kernel, name, root)).toEqual(await modprobeShowDepends(kernel, name));
    // A module outside the closure is unknown there, while the kernel's index has it.
    expect(await modprobeShowDepends(kernel, 'xfs')).not.toEqual([]);
    await expect(modprobeShowDepends(kernel, 'xfs', root)).rejects.toThrow(/xfs/);
    // Far smaller than the kernel's own index (Debian's: about 5 MiB).
    const indexBytes = (list: CpioEntry[]) =>
      list
        .filter((e) => e.path.includes('/modules.'))
        .reduce((n, e) => n + (e.size ?? Buffer.byteLength(e.data ?? '')), 0);
    const whole = await kernelModuleEntries(closure, { index: 'kernel' });
    expect(indexBytes(entries) * 10).toBeLessThan(indexBytes(whole));
    // The same inputs give the same bytes.
    const again = await kernelModuleEntries(closure);
    expect(again).toEqual(entries);
  });

  it("kernelModuleEntries with index: 'kernel' copies the kernel's own index files", async () => {
    const closure = await resolveModuleClosure({ modulesDir: kernel.modulesDir, names: ['squashfs', 'overlay'] });
    const entries = await kernelModuleEntries(closure, { index: 'kernel' });
    const prefix = `lib/modules/${kernel.version}/`;
    const indexes = entries.filter((e) => e.path.includes('/modules.'));
    expect(indexes.length).toBeGreaterThan(5);
    for (const entry of indexes) {
      const name = entry.path.replace(prefix, '');
      expect(MODULE_INDEX_FILES).toContain(name);
      expect(entry.source).toBe(join(kernel.modulesDir, name));
    }
    expect(entries.filter((e) => e.type === 'dir').map((e) => e.path)).toContain(
      `lib/modules/${kernel.version}/kernel/fs/squashfs`,
    );
  });
});
