// An apt root's live initramfs is made from the root's kernel packages, beside the rootfs stage
// (issue 27): the table gives it no need; its key is those packages, so it changes with the kernel
// package and not with any other package; it is byte for byte the initramfs the finished root
// would give (the root holds the same files and, for the same kmod, the same module index); a
// package file not yet in the cache is waited for from the rootfs stage. The package is a real
// .deb made from Debian's kernel (tools/fetch-kernel): its vmlinuz, config and the storage and
// filesystem modules.
import { execa } from 'execa';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '@distroforge/core';
import { StageCache, type StageResult, type StageRun } from '../src/engine/stage-cache.js';
import { runGraph, type GraphResults } from '../src/engine/stage-graph.js';
import type { BuildContext } from '../src/pipeline/build-context.js';
import { buildStages, stagesFor } from '../src/pipeline/build-stages.js';
import { kernelPackagesOf } from '../src/pipeline/kernel-package-tree.js';
import { liveInitramfsStage, packageInitramfsStage } from '../src/pipeline/stage-live-initramfs.js';
import { parseProfile } from '../src/profile/load-profile.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
let work = '';
let deb = '';
let debSha = '';
let version = '';
const savedCache = process.env.XDG_CACHE_HOME;

const profile = parseProfile('name: live-test\nsource: {type: apt, suite: bookworm}\noutputs: [iso]\n');
const others: [string, string, string][] = [
  ['less', '590-2', 'a'.repeat(64)],
  ['linux-image-amd64', '6.1.0', 'b'.repeat(64)],
];

/** A build context whose resolution is `packages`, with a cache stand-in recording what the stage keys on. */
function context(
  packages: [string, string, string][],
  name: string,
  overrides: Partial<BuildContext> = {},
): { ctx: BuildContext; seen: { inputs?: unknown; upstream?: readonly string[] }; out: string } {
  const seen: { inputs?: unknown; upstream?: readonly string[] } = {};
  const out = join(work, `${name}-out`);
  const ctx = {
    loaded: { dir: work, profileFile: join(work, 'profile.yaml'), profile, packages: [], overlayDir: undefined },
    paths: { profileDir: work, stateDir: join(work, `${name}-state`), outDir: join(work, 'out') },
    epoch: 1_700_000_000,
    resolveLock: async () => ({ packages: packages.map(([n, v, s]) => ({ name: n, version: v, sha256: s })) }),
    cache: {
      run: async <T>(stage: StageRun<T>) => {
        seen.inputs = stage.inputs;
        seen.upstream = stage.upstream;
        await mkdir(out, { recursive: true });
        return { name: stage.name, key: 'k', dir: out, result: await stage.run(out), cached: false, ms: 0 };
      },
    },
    ...overrides,
  } as unknown as BuildContext;
  return { ctx, seen, out };
}

const noRootfs: GraphResults = {
  get: () => {
    throw new Error('the initramfs read another stage');
  },
  maybe: () => undefined,
  after: async () => {
    throw new Error('the initramfs waited for the rootfs stage');
  },
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-initramfs-packages-'));
  process.env.XDG_CACHE_HOME = join(work, 'cache');
  await mkdir(join(work, 'cache', 'distroforge', 'debs'), { recursive: true });
  const kernelDir =
    process.env.DISTROFORGE_KERNEL_DIR ??
    (await execa(join(repoRoot, 'tools/fetch-kernel'), { timeout: 600_000 })).stdout.trim();
  version = (await readFile(join(kernelDir, '.version'), 'utf8')).trim();
  // The package: what Debian's ships of these, without the index its postinst makes.
  const pkg = join(work, 'pkg');
  const modules = join('lib/modules', version);
  await mkdir(join(pkg, 'DEBIAN'), { recursive: true });
  await mkdir(join(pkg, 'boot'), { recursive: true });
  for (const f of [`vmlinuz-${version}`, `config-${version}`])
    await cp(join(kernelDir, 'boot', f), join(pkg, 'boot', f), { preserveTimestamps: true });
  // The directories of LIVE_MODULES and their dependencies.
  const dirs = ['fs', 'net/9p', 'crypto', 'lib', 'arch', 'drivers/block', 'drivers/scsi', 'drivers/ata']
    .concat(['drivers/cdrom', 'drivers/virtio', 'drivers/nvme', 'drivers/usb'])
    .map((d) => `kernel/${d}`);
  for (const d of dirs)
    await cp(join(kernelDir, modules, d), join(pkg, modules, d), { recursive: true, preserveTimestamps: true });
  for (const f of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo'])
    await cp(join(kernelDir, modules, f), join(pkg, modules, f), { preserveTimestamps: true });
  await writeFile(
    join(pkg, 'DEBIAN', 'control'),
    `Package: linux-image-${version}\nVersion: 6.1.0\nArchitecture: amd64\nMaintainer: t <t@example.org>\nDescription: test kernel\n`,
  );
  deb = join(work, 'kernel.deb');
  await execa('dpkg-deb', ['--root-owner-group', '-Znone', '-b', pkg, deb]);
  debSha = await sha256File(deb);
}, 600_000);
afterAll(async () => {
  if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCache;
  await rm(work, { recursive: true, force: true });
});

describe('the live initramfs of an apt root, from its kernel packages', () => {
  it('needs no stage in the table (apt), the finished root otherwise', () => {
    const table = (source: string) =>
      stagesFor(parseProfile(`name: p\nsource: ${source}\noutputs: [iso, disk]\n`))
        .filter((s) => s.name === 'initramfs')
        .map((s) => s.needs(parseProfile(`name: p\nsource: ${source}\noutputs: [iso, disk]\n`)));
    expect(table('{type: apt}')).toEqual([[]]);
    expect(table('{type: rpm-dir, location: ./rpms}')).toEqual([['rootfs']]);
    expect(table('{type: pacman-dir, location: ./repo}')).toEqual([['rootfs']]);
    expect(buildStages.filter((s) => s.name === 'initramfs')).toHaveLength(2);
  });

  it('takes the kernel packages of the set: kernel.file alone, else kernel.package, linux-image-* and linux-modules-* (no -dbg)', () => {
    const set: [string, string, string][] = [
      ['less', '1', 'a'],
      ['linux-image-amd64', '1', 'b'],
      ['linux-image-6.1.0-9-amd64', '1', 'c'],
      ['linux-image-6.1.0-9-amd64-dbg', '1', 'd'],
      ['linux-modules-6.8.0-9-generic', '1', 'f'],
      ['linux-headers-6.1.0-9-amd64', '1', 'g'],
      ['my-kernel', '1', 'e'],
    ];
    expect(kernelPackagesOf(set, 'linux-image-amd64').map(([n]) => n)).toEqual([
      'linux-image-amd64',
      'linux-image-6.1.0-9-amd64',
      'linux-modules-6.8.0-9-generic',
    ]);
    expect(kernelPackagesOf(set, 'my-kernel').map(([n]) => n)).toEqual([
      'linux-image-amd64',
      'linux-image-6.1.0-9-amd64',
      'linux-modules-6.8.0-9-generic',
      'my-kernel',
    ]);
    expect(kernelPackagesOf(set, 'linux-image-amd64', 'my-kernel').map(([n]) => n)).toEqual(['my-kernel']);
  });

  it('keys on the kernel packages: another kernel build changes the key, another package does not', async () => {
    const key = async (packages: [string, string, string][], name: string) => {
      const { ctx, seen } = context(packages, name, {
        cache: {
          run: async (stage: StageRun<unknown>) => {
            seen.inputs = stage.inputs;
            seen.upstream = stage.upstream;
            return {} as StageResult<unknown>;
          },
        } as unknown as BuildContext['cache'],
      });
      await packageInitramfsStage(ctx, noRootfs);
      expect(seen.upstream).toEqual([]);
      return StageCache.key('initramfs', seen.inputs, seen.upstream ?? []);
    };
    const kernel: [string, string, string] = [`linux-image-${version}`, '6.1.0', debSha];
    const base = await key([...others, kernel], 'k1');
    expect(await key([['less', '590-3', 'c'.repeat(64)], others[1]!, kernel], 'k2')).toBe(base);
    expect(await key([...others, [kernel[0], '6.1.1', 'd'.repeat(64)]], 'k3')).not.toBe(base);
    expect(await key([others[0]!, [others[1]![0], '6.1.1', 'e'.repeat(64)], kernel], 'k4')).not.toBe(base);
  });

  it('is byte for byte the initramfs of a root holding the same package', async () => {
    await cp(deb, join(work, 'cache', 'distroforge', 'debs', `${debSha}.deb`));
    const packages: [string, string, string][] = [others[0]!, [`linux-image-${version}`, '6.1.0', debSha]];
    const fromPackages = context(packages, 'packages');
    const made = await packageInitramfsStage(fromPackages.ctx, noRootfs);
    expect(made.result.compression).toBe('zstd -3');
    expect(made.result.modules).toBeGreaterThan(3);

    // The root: the package unpacked by dpkg, its index by depmod (as the kernel's postinst does).
    const rootfsDir = join(work, 'rootfs-stage');
    await mkdir(join(rootfsDir, 'rootfs'), { recursive: true });
    await execa('dpkg-deb', ['-x', deb, join(rootfsDir, 'rootfs')]);
    await execa('depmod', ['-b', join(rootfsDir, 'rootfs'), version]);
    const fromRoot = context(packages, 'root');
    const rootMade = await liveInitramfsStage(fromRoot.ctx, {
      name: 'rootfs',
      key: 'r',
      dir: rootfsDir,
      result: {},
      cached: false,
      ms: 0,
    });
    for (const file of ['initrd.img', 'vmlinuz'])
      expect(await sha256File(join(fromPackages.out, file)), file).toBe(await sha256File(join(fromRoot.out, file)));
    expect(rootMade.result).toEqual(made.result);
  }, 300_000);

  it('waits for the rootfs stage (its downloads) when the package file is not in the cache yet', async () => {
    const sha = 'f'.repeat(64);
    const cached = join(work, 'cache', 'distroforge', 'debs', `${sha}.deb`);
    const events: string[] = [];
    const nodes = [
      {
        name: 'rootfs',
        needs: [],
        run: async () => {
          events.push('rootfs start');
          await new Promise((resolve) => setTimeout(resolve, 50));
          // What the rootfs stage's download does: the file appears complete, renamed into place.
          await cp(deb, `${cached}.partial`);
          await rename(`${cached}.partial`, cached);
          events.push('rootfs end');
          return 'rootfs';
        },
      },
      {
        name: 'initramfs',
        needs: [],
        run: async (_: undefined, done: GraphResults) => {
          events.push('initramfs start');
          const { ctx } = context([others[0]!, [`linux-image-${version}`, '6.1.0', sha]], 'waits');
          const made = await packageInitramfsStage(ctx, done);
          events.push('initramfs end');
          return made.result.kernelVersion;
        },
      },
    ];
    const results = await runGraph(nodes, undefined, new AbortController());
    expect(results.get('initramfs')).toBe(version);
    expect(events).toEqual(['rootfs start', 'initramfs start', 'rootfs end', 'initramfs end']);
  }, 300_000);
});
