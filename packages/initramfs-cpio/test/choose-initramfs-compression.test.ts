import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseInitramfsCompression,
  InitramfsCompressionUnsupportedError,
  INITRAMFS_FALLBACK,
  KernelConfigError,
  kernelConfigCandidates,
  parseKernelConfig,
} from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';
import { debianKernel } from './kernel.js';

const VERSION = '6.1.0-99-test';
let work: string;

/** A kernel config as Kconfig writes it: every RD_ option listed, set or not. */
function kernelConfig(rd: string[], { initrd = true } = {}): string {
  const all = ['GZIP', 'BZIP2', 'LZMA', 'XZ', 'LZO', 'LZ4', 'ZSTD'];
  return [
    '#',
    '# Automatically generated file; DO NOT EDIT.',
    '#',
    'CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"',
    'CONFIG_LOCALVERSION=""',
    initrd ? 'CONFIG_BLK_DEV_INITRD=y' : '# CONFIG_BLK_DEV_INITRD is not set',
    'CONFIG_INITRAMFS_SOURCE=""',
    ...(initrd ? all.map((c) => (rd.includes(c) ? `CONFIG_RD_${c}=y` : `# CONFIG_RD_${c} is not set`)) : []),
    'CONFIG_MODULES=y',
    '',
  ].join('\n');
}

/** A root with the config at `where` (relative, {V} = version). */
async function rootWith(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const root = join(work, name);
  for (const [where, content] of Object.entries(files)) {
    const path = join(root, where.replaceAll('{V}', VERSION));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
  }
  await mkdir(join(root, 'lib/modules', VERSION), { recursive: true });
  return root;
}

beforeAll(async () => {
  work = await tempDir('icpio-choose-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('chooseInitramfsCompression on crafted configs', () => {
  it('zstd when the kernel has CONFIG_RD_ZSTD=y (every decompressor on, as Debian)', async () => {
    const root = await rootWith('all', {
      'boot/config-{V}': kernelConfig(['GZIP', 'BZIP2', 'LZMA', 'XZ', 'LZO', 'LZ4', 'ZSTD']),
    });
    const choice = await chooseInitramfsCompression({ root, version: VERSION });
    expect(choice).toMatchObject({ compress: 'zstd', level: 3, config: join(root, 'boot', `config-${VERSION}`) });
    expect(choice.supported).toEqual(['BZIP2', 'GZIP', 'LZ4', 'LZMA', 'LZO', 'XZ', 'ZSTD']);
    expect(choice.reason).toContain('CONFIG_RD_ZSTD=y -> zstd -3');
  });

  it('a kernel with only gzip gets gzip at the measured level', async () => {
    const root = await rootWith('gzip-only', { 'boot/config-{V}': kernelConfig(['GZIP']) });
    expect(await chooseInitramfsCompression({ root, version: VERSION })).toMatchObject({
      compress: 'gzip',
      level: 6,
      supported: ['GZIP'],
    });
  });

  it('gzip before xz when both are there and zstd is not (xz costs more to build than it saves at boot)', async () => {
    const root = await rootWith('gzip-xz', { 'boot/config-{V}': kernelConfig(['GZIP', 'XZ', 'LZMA']) });
    expect(await chooseInitramfsCompression({ root, version: VERSION })).toMatchObject({ compress: 'gzip', level: 6 });
  });

  it('xz when the kernel has xz but neither zstd nor gzip', async () => {
    const root = await rootWith('xz', { 'boot/config-{V}': kernelConfig(['XZ', 'LZMA', 'LZ4']) });
    expect(await chooseInitramfsCompression({ root, version: VERSION })).toMatchObject({ compress: 'xz', level: 6 });
  });

  it('a kernel that unpacks none of gzip, xz, zstd: ERR_INITRAMFS_COMPRESSION_UNSUPPORTED naming what it has', async () => {
    const root = await rootWith('lz4', { 'boot/config-{V}': kernelConfig(['LZ4', 'LZO', 'LZMA']) });
    const error = await chooseInitramfsCompression({ root, version: VERSION }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InitramfsCompressionUnsupportedError);
    expect(error).toMatchObject({
      code: 'ERR_INITRAMFS_COMPRESSION_UNSUPPORTED',
      supported: ['LZ4', 'LZMA', 'LZO'],
      path: join(root, 'boot', `config-${VERSION}`),
    });
    expect((error as Error).message).toContain('CONFIG_RD_LZ4, CONFIG_RD_LZMA, CONFIG_RD_LZO');
    expect((error as InitramfsCompressionUnsupportedError).hint).toContain('CONFIG_RD_ZSTD=y');
  });

  it('a kernel without CONFIG_BLK_DEV_INITRD: the same code, saying so', async () => {
    const root = await rootWith('no-initrd', { 'boot/config-{V}': kernelConfig([], { initrd: false }) });
    const error = await chooseInitramfsCompression({ root, version: VERSION }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INITRAMFS_COMPRESSION_UNSUPPORTED' });
    expect((error as Error).message).toContain('CONFIG_BLK_DEV_INITRD is not set');
  });

  it('no config anywhere: the documented gzip fallback, saying where it looked', async () => {
    const root = await rootWith('missing', {});
    const choice = await chooseInitramfsCompression({ root, version: VERSION });
    expect(choice).toEqual({
      ...INITRAMFS_FALLBACK,
      config: undefined,
      supported: [],
      reason: expect.stringContaining('no kernel config found'),
    });
    expect(INITRAMFS_FALLBACK).toEqual({ compress: 'gzip', level: 6 });
    for (const path of kernelConfigCandidates(root, VERSION)) expect(choice.reason).toContain(path);
  });

  it('looks in boot/config-V first, then the modules directory, then the headers', async () => {
    expect(kernelConfigCandidates('/r', VERSION)).toEqual([
      `/r/boot/config-${VERSION}`,
      `/r/usr/lib/modules/${VERSION}/config`,
      `/r/lib/modules/${VERSION}/config`,
      `/r/usr/lib/modules/${VERSION}/build/.config`,
      `/r/lib/modules/${VERSION}/build/.config`,
    ]);
    const both = await rootWith('both', {
      'boot/config-{V}': kernelConfig(['GZIP']),
      'lib/modules/{V}/config': kernelConfig(['GZIP', 'ZSTD']),
    });
    expect(await chooseInitramfsCompression({ root: both, version: VERSION })).toMatchObject({
      compress: 'gzip',
      config: join(both, 'boot', `config-${VERSION}`),
    });
    const fedora = await rootWith('fedora', { 'usr/lib/modules/{V}/config': kernelConfig(['GZIP', 'XZ', 'ZSTD']) });
    expect(await chooseInitramfsCompression({ root: fedora, version: VERSION })).toMatchObject({
      compress: 'zstd',
      config: join(fedora, 'usr/lib/modules', VERSION, 'config'),
    });
    const headers = await rootWith('headers', { 'usr/lib/modules/{V}/build/.config': kernelConfig(['XZ']) });
    expect(await chooseInitramfsCompression({ root: headers, version: VERSION })).toMatchObject({ compress: 'xz' });
    // Another version's config is not this kernel's.
    const other = await rootWith('other-version', { 'boot/config-5.10.0-1-amd64': kernelConfig(['ZSTD', 'GZIP']) });
    expect(await chooseInitramfsCompression({ root: other, version: VERSION })).toMatchObject({
      compress: 'gzip',
      config: undefined,
    });
  });

  it('an explicit config file wins, plain or gzip (a copy of /proc/config.gz)', async () => {
    const root = await rootWith('explicit', {
      'boot/config-{V}': kernelConfig(['GZIP']),
      'config.gz': gzipSync(kernelConfig(['GZIP', 'ZSTD'])),
    });
    expect(await chooseInitramfsCompression({ root, version: VERSION, config: join(root, 'config.gz') })).toMatchObject(
      { compress: 'zstd', config: join(root, 'config.gz') },
    );
    expect(await chooseInitramfsCompression({ config: join(root, 'boot', `config-${VERSION}`) })).toMatchObject({
      compress: 'gzip',
    });
  });

  it('an explicit config that is missing, or a file that is not a config: ERR_KERNEL_CONFIG', async () => {
    const root = await rootWith('bad', {
      'boot/config-{V}': 'this is not a kernel config\n',
      'broken.gz': Buffer.from([0x1f, 0x8b, 8, 0, 1, 2]),
    });
    for (const options of [
      { config: join(root, 'nope') },
      { root, version: VERSION },
      { config: join(root, 'broken.gz') },
    ]) {
      const error = await chooseInitramfsCompression(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KernelConfigError);
      expect(error).toMatchObject({ code: 'ERR_KERNEL_CONFIG' });
    }
  });

  it('needs config, or root and version', async () => {
    await expect(chooseInitramfsCompression({ root: '/' })).rejects.toThrow(/pass config, or root and version/);
  });

  it('parseKernelConfig: set values, "is not set" as n, comments ignored', () => {
    const parsed = parseKernelConfig(
      '# comment\nCONFIG_RD_ZSTD=y\n# CONFIG_RD_LZ4 is not set\nCONFIG_LOCALVERSION=""\nCONFIG_NR_CPUS=64\n',
    );
    expect([...parsed]).toEqual([
      ['CONFIG_RD_ZSTD', 'y'],
      ['CONFIG_RD_LZ4', 'n'],
      ['CONFIG_LOCALVERSION', '""'],
      ['CONFIG_NR_CPUS', '64'],
    ]);
  });
});

describe('chooseInitramfsCompression on the real Debian kernel', () => {
  it('finds boot/config-VERSION and picks zstd (Debian builds with CONFIG_RD_ZSTD=y)', async () => {
    const kernel = await debianKernel();
    const choice = await chooseInitramfsCompression({ root: kernel.root, version: kernel.version });
    expect(choice.config).toBe(join(kernel.root, 'boot', `config-${kernel.version}`));
    expect(choice.supported).toContain('ZSTD');
    expect(choice).toMatchObject({ compress: 'zstd', level: 3 });
  }, 600_000);
});
