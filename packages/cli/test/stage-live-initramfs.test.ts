// The live initramfs stage compresses as the root's kernel config says (chooseInitramfsCompression)
// and keys its cache on the compression and level. The stage runs for real on a root whose kernel
// is Debian's (tools/fetch-kernel; vmlinuz and modules linked in) with a crafted /boot/config-V,
// through a cache stand-in that records what the stage asks it to key on.
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCompression } from '@distroforge/initramfs-cpio';
import type { StageResult, StageRun } from '../src/engine/stage-cache.js';
import type { BuildContext } from '../src/pipeline/build-context.js';
import { liveInitramfsStage, type LiveInitramfsStageResult } from '../src/pipeline/stage-live-initramfs.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
let work = '';
let kernelDir = '';
let version = '';

/** A rootfs stage result whose root has Debian's kernel and the given config (none: no config file). */
async function rootfsWith(name: string, config: string | undefined): Promise<StageResult<unknown>> {
  const dir = join(work, name);
  const root = join(dir, 'rootfs');
  await mkdir(join(root, 'boot'), { recursive: true });
  await mkdir(join(root, 'lib/modules'), { recursive: true });
  await symlink(join(kernelDir, 'boot', `vmlinuz-${version}`), join(root, 'boot', `vmlinuz-${version}`));
  await symlink(join(kernelDir, 'lib/modules', version), join(root, 'lib/modules', version));
  if (config !== undefined) await writeFile(join(root, 'boot', `config-${version}`), config);
  return { name: 'rootfs', key: `rootfs-${name}`, dir, result: {}, cached: false, ms: 0 };
}

/** Runs the stage with a cache stand-in; returns what it keyed on and what it built. */
async function runStage(
  rootfs: StageResult<unknown>,
): Promise<{ inputs: Record<string, unknown>; result: LiveInitramfsStageResult; initrd: Buffer }> {
  let inputs: Record<string, unknown> = {};
  const out = join(work, `${rootfs.key}-out`);
  await mkdir(out);
  const ctx = {
    loaded: {
      dir: work,
      profile: {
        name: 'live-test',
        boot: {},
        kernel: { modules: [] },
        image: { type: 'squashfs' },
        source: { type: 'apt' },
        extraPackageFiles: [],
      },
    },
    epoch: 1_700_000_000,
    cache: {
      run: async <T>(stage: StageRun<T>) => {
        inputs = stage.inputs as Record<string, unknown>;
        return { name: stage.name, key: 'k', dir: out, result: await stage.run(out), cached: false, ms: 0 };
      },
    },
  } as unknown as BuildContext;
  const { result } = await liveInitramfsStage(ctx, rootfs);
  return { inputs, result, initrd: await readFile(join(out, result.initrd)) };
}

const config = (rd: string[]) =>
  [
    'CONFIG_BLK_DEV_INITRD=y',
    ...['GZIP', 'XZ', 'ZSTD'].map((c) => (rd.includes(c) ? `CONFIG_RD_${c}=y` : `# CONFIG_RD_${c} is not set`)),
    '',
  ].join('\n');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-live-initramfs-'));
  kernelDir =
    process.env.DISTROFORGE_KERNEL_DIR ??
    (await execa(join(repoRoot, 'tools/fetch-kernel'), { timeout: 600_000 })).stdout.trim();
  version = (await readFile(join(kernelDir, '.version'), 'utf8')).trim();
}, 600_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('initramfs stage (live profiles): compression from the kernel config', () => {
  it('zstd -3 for a kernel with CONFIG_RD_ZSTD=y; gzip -6 with only gzip or no config; each in the cache key', async () => {
    const zstd = await runStage(await rootfsWith('zstd', config(['GZIP', 'XZ', 'ZSTD'])));
    expect(zstd.inputs).toMatchObject({ compress: 'zstd', level: 3 });
    expect(zstd.result.compression).toBe('zstd -3');
    expect(detectCompression(zstd.initrd)).toBe('zstd');

    const gzip = await runStage(await rootfsWith('gzip', config(['GZIP'])));
    expect(gzip.inputs).toMatchObject({ compress: 'gzip', level: 6 });
    expect(detectCompression(gzip.initrd)).toBe('gzip');
    // Same profile, same upstream shape: only the compression tells the two keys apart.
    const { compress: _c, level: _l, ...rest } = zstd.inputs;
    const { compress: _c2, level: _l2, ...gzipRest } = gzip.inputs;
    expect(gzipRest).toEqual(rest);

    const none = await runStage(await rootfsWith('no-config', undefined));
    expect(none.inputs).toMatchObject({ compress: 'gzip', level: 6 });
    expect(detectCompression(none.initrd)).toBe('gzip');
  }, 300_000);

  it('a kernel that unpacks no compression the writer produces fails the stage with ERR_INITRAMFS_COMPRESSION_UNSUPPORTED', async () => {
    const rootfs = await rootfsWith('lz4', 'CONFIG_BLK_DEV_INITRD=y\nCONFIG_RD_LZ4=y\n# CONFIG_RD_GZIP is not set\n');
    await expect(runStage(rootfs)).rejects.toMatchObject({ code: 'ERR_INITRAMFS_COMPRESSION_UNSUPPORTED' });
  });
});
