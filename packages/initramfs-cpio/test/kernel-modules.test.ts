import { execa } from 'execa';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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

  it('kernelModuleEntries adds every index file modprobe reads', async () => {
    const closure = await resolveModuleClosure({ modulesDir: kernel.modulesDir, names: ['squashfs', 'overlay'] });
    const entries = await kernelModuleEntries(closure);
    const files = entries
      .filter((e) => e.type === 'file')
      .map((e) => e.path.replace(`lib/modules/${kernel.version}/`, ''));
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
    ]) {
      expect(files).toContain(index);
      expect(MODULE_INDEX_FILES).toContain(index);
    }
    expect(entries.filter((e) => e.type === 'dir').map((e) => e.path)).toContain(
      `lib/modules/${kernel.version}/kernel/fs/squashfs`,
    );
  });
});
