// The live initramfs stage compresses as the root's kernel config says (chooseInitramfsCompression)
// and keys its cache on the compression and level. The stage runs for real on a root whose kernel
// is Debian's (tools/fetch-kernel; vmlinuz and modules linked in) with a crafted /boot/config-V,
// through a cache stand-in that records what the stage asks it to key on.
import { execa } from 'execa';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCompression, MODULE_INDEX_FILES } from '@distroforge/initramfs-cpio';
import type { StageResult, StageRun } from '../src/engine/stage-cache.js';
import type { BuildContext } from '../src/pipeline/build-context.js';
import { findKernel } from '../src/pipeline/find-kernel.js';
import { finishedRootKernel, RootKernelHandoff, type RootKernel } from '../src/pipeline/root-kernel.js';
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
  rootfs: StageResult<unknown> | RootKernel,
  name = 'key' in rootfs ? rootfs.key : rootfs.rootfsKey,
): Promise<{
  inputs: Record<string, unknown>;
  upstream: readonly string[];
  result: LiveInitramfsStageResult;
  initrd: Buffer;
}> {
  let inputs: Record<string, unknown> = {};
  let upstream: readonly string[] = [];
  const out = join(work, `${name}-out`);
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
        upstream = stage.upstream;
        return { name: stage.name, key: 'k', dir: out, result: await stage.run(out, 'k'), cached: false, ms: 0 };
      },
    },
  } as unknown as BuildContext;
  const source = 'key' in rootfs ? await finishedRootKernel(rootfs) : rootfs;
  const { result } = await liveInitramfsStage(ctx, source);
  return { inputs, upstream, result, initrd: await readFile(join(out, result.initrd)) };
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

/**
 * A root as the apt bootstrap leaves it when every package is unpacked and the kernel's postinst has
 * not run: the kernel's files (symlinks to the fetched kernel's) without depmod's index.
 */
async function unpackedRoot(name: string): Promise<string> {
  const root = join(work, name);
  await mkdir(join(root, 'boot'), { recursive: true });
  await symlink(join(kernelDir, 'boot', `vmlinuz-${version}`), join(root, 'boot', `vmlinuz-${version}`));
  await writeFile(join(root, 'boot', `config-${version}`), config(['GZIP', 'XZ', 'ZSTD']));
  await mkdir(join(root, 'usr/lib/modules'), { recursive: true });
  await execa('cp', ['-as', join(kernelDir, 'lib/modules', version), join(root, 'usr/lib/modules/')]);
  for (const index of DEPMOD_OUTPUTS) await rm(join(root, 'usr/lib/modules', version, index), { force: true });
  return root;
}

/** What depmod writes: the index files but those a kernel package ships itself. */
const DEPMOD_OUTPUTS = [
  ...MODULE_INDEX_FILES.filter((f) => !['modules.order', 'modules.builtin', 'modules.builtin.modinfo'].includes(f)),
  'modules.weakdep', // kmod 33 and later
];

/** A rootfs stage's result whose root is `dir`/rootfs, under `key`. */
const stageAt = (dir: string, key: string): StageResult<unknown> => ({
  name: 'rootfs',
  key,
  dir,
  result: {},
  cached: true,
  ms: 0,
});
/** The tool log of the copies' `cp`. */
const logFile = join(tmpdir(), `df-root-kernel-${process.pid}.log`);
afterAll(() => rm(logFile, { force: true }));

describe('the root kernel handed over early (RootKernelHandoff)', () => {
  it("copies an unpacked root's kernel with links and its own module index, leaving the root as it was", async () => {
    const root = await unpackedRoot('unpacked-a');
    const before = (await execa('find', [root, '-printf', '%p %y %s\n'])).stdout;
    const handoff = new RootKernelHandoff(join(work, 'copy-a'), { logFile });
    await handoff.copyFrom(root, 'rootfs-key-a');
    const copy = await handoff.wait(undefined);
    expect(copy.rootfsKey).toBe('rootfs-key-a');
    expect(copy.root).toBe(join(work, 'copy-a'));
    expect(copy.kernel.version).toBe(version);
    expect(existsSync(join(copy.kernel.modulesDir, 'modules.dep'))).toBe(true);
    // The modules are links to the root's inodes; the index files the copy's depmod replaces are not.
    const ko = (await execa('find', [copy.kernel.modulesDir, '-name', 'overlay.ko*'])).stdout.trim();
    const rootKo = join(root, 'usr/lib/modules', version, ko.slice(copy.kernel.modulesDir.length + 1));
    expect(lstatSync(ko).ino).toBe(lstatSync(rootKo).ino);
    const order = join(copy.kernel.modulesDir, 'modules.order');
    expect(lstatSync(order).ino).not.toBe(lstatSync(join(root, 'usr/lib/modules', version, 'modules.order')).ino);
    expect(statSync(order).isFile()).toBe(true);
    expect((await execa('find', [root, '-printf', '%p %y %s\n'])).stdout).toBe(before);
    await handoff.discard();
    expect(existsSync(copy.root)).toBe(false);
  }, 300_000);

  it('makes the same initramfs from the copy as from the finished root, under the same key', async () => {
    const handoff = new RootKernelHandoff(join(work, 'copy-b'), { logFile });
    await handoff.copyFrom(await unpackedRoot('unpacked-b'), 'rootfs-same');
    const early = await runStage(await handoff.wait(undefined), 'early');
    const finishedRoot = (await rootfsWith('finished', config(['GZIP', 'XZ', 'ZSTD']))).dir;
    const late = await runStage(
      {
        rootfsKey: 'rootfs-same',
        root: join(finishedRoot, 'rootfs'),
        kernel: await findKernel(join(finishedRoot, 'rootfs')),
        release: async () => undefined,
      },
      'late',
    );
    expect(early.upstream).toEqual(['rootfs-same']);
    expect(early.inputs).toEqual(late.inputs);
    expect(early.upstream).toEqual(late.upstream);
    expect(early.result.modules).toBeGreaterThan(10);
    expect(early.initrd.equals(late.initrd)).toBe(true);
    await handoff.discard();
  }, 300_000);

  it('hands the finished root over when no copy can be made or it is first, and the rootfs failure or an abort to the waiter', async () => {
    const noCopy: unknown[] = [];
    const empty = join(work, 'no-kernel');
    await mkdir(join(empty, 'boot'), { recursive: true });
    const handoff = new RootKernelHandoff(join(work, 'copy-c'), { logFile, onNoCopy: (error) => noCopy.push(error) });
    await handoff.copyFrom(empty, 'k1');
    expect(noCopy).toHaveLength(1);
    expect(noCopy[0]).toMatchObject({ code: 'ERR_KERNEL_MISSING' });
    expect(existsSync(join(work, 'copy-c'))).toBe(false);
    const finished = (await rootfsWith('finished-c', undefined)).dir;
    await handoff.fromRoot(stageAt(finished, 'k1'));
    const handed = await handoff.wait(undefined);
    expect(handed.root).toBe(join(finished, 'rootfs'));
    await handed.release();
    expect(existsSync(handed.root)).toBe(true); // the finished root is not a copy

    const failed = new RootKernelHandoff(join(work, 'copy-d'), { logFile });
    failed.fail(new Error('the bootstrap failed'));
    await expect(failed.wait(undefined)).rejects.toThrow('the bootstrap failed');
    await failed.fromRoot(stageAt(finished, 'k2')); // too late: stays failed
    await expect(failed.wait(undefined)).rejects.toThrow('the bootstrap failed');

    const never = new RootKernelHandoff(join(work, 'copy-e'), { logFile });
    const stop = new AbortController();
    const waiting = never.wait(stop.signal);
    stop.abort(new Error('another stage failed'));
    await expect(waiting).rejects.toThrow('another stage failed');
    await expect(never.wait(stop.signal)).rejects.toThrow('another stage failed');

    // The finished root handed over while the copy's module index is still being written: the
    // copy is not used, and is gone once the build discards the handoff.
    let indexWritten = () => undefined as void;
    const raced = new RootKernelHandoff(join(work, 'copy-g'), {
      logFile,
      writeModuleIndex: () => new Promise<void>((resolve) => (indexWritten = resolve)),
    });
    await raced.copyFrom(await unpackedRoot('unpacked-g'), 'k4');
    expect(existsSync(join(work, 'copy-g', 'lib/modules', version))).toBe(true);
    await raced.fromRoot(stageAt(finished, 'k4'));
    expect((await raced.wait(undefined)).root).toBe(join(finished, 'rootfs'));
    indexWritten();
    await raced.discard();
    expect(existsSync(join(work, 'copy-g'))).toBe(false);

    const missing = new RootKernelHandoff(join(work, 'copy-f'), { logFile });
    await missing.fromRoot(stageAt(join(work, 'no-rootfs-stage'), 'k3'));
    await expect(missing.wait(undefined)).rejects.toMatchObject({ code: 'ERR_KERNEL_MISSING' });
  });
});
