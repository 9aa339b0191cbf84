import { buildLiveInitramfs } from '@distroforge/initramfs-cpio';
import { launch } from '@distroforge/qemu-launch';
import { lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROCKY_LIKE } from '../../../tools/rpm-test-repo/generate.mjs';
import { bootstrapRpmRootfs, type RpmBootstrapResult } from '../src/index.js';
import { rpmTestRepo } from './rpm-fixtures.js';

// The direct-boot loop on an rpm rootfs: `@minimal` from the generated repository (Debian's real
// static busybox and kernel, repackaged by tools/rpm-test-repo), the kernel and modules taken from
// the tree itself, a live initramfs that mounts the tree over 9p, busybox init from the tree.
let work: string;
let target: string;
let kernelVersion: string;
let result: RpmBootstrapResult;

beforeAll(async () => {
  const repo = await rpmTestRepo();
  kernelVersion = repo.kernelVersion;
  work = await mkdtemp(join(tmpdir(), 'rootfs-bootstrap-rpm-boot-'));
  target = join(work, 'root');
  result = await bootstrapRpmRootfs({
    source: `rpm-repo:${repo.dir}`,
    include: ['@minimal'],
    cacheDir: join(work, 'cache'),
    architecture: 'x86_64',
    target,
  });
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a rootfs resolved from the rpm test repository', () => {
  it('holds the boot set of comps group minimal', async () => {
    expect(result.packages.map((p) => p.name)).toEqual(['busybox', 'filesystem', 'kernel', 'rocky-like-release']);
    expect(result.order[0]).toBe('filesystem');
    expect(await readlink(join(target, 'sbin/init'))).toBe('../bin/busybox');
    expect(await readlink(join(target, 'bin/sh'))).toBe('busybox');
    expect(await readFile(join(target, 'etc/inittab'), 'utf8')).toContain(
      'ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100',
    );
    expect(await readFile(join(target, 'etc/os-release'), 'utf8')).toContain(`ID=${ROCKY_LIKE.id}`);
    expect((await lstat(join(target, `boot/vmlinuz-${kernelVersion}`))).size).toBeGreaterThan(1_000_000);
    expect(result.manifest.entries.find((e) => e.path === '/tmp')).toMatchObject({ mode: 0o1777 });
  });

  it('boots with its own kernel, modules and busybox: init runs rcS, getty logs root in, the shell answers', async () => {
    const modulesDir = join(target, 'lib/modules', kernelVersion);
    const initrd = join(work, 'initrd.img');
    await buildLiveInitramfs({
      busybox: join(target, 'bin/busybox'),
      modulesDir,
      live: { root: '9p', tag: 'rootfs' },
      output: initrd,
      sourceDateEpoch: 0,
    });
    const vm = await launch({
      kernel: join(target, `boot/vmlinuz-${kernelVersion}`),
      initrd,
      append: 'console=ttyS0 panic=-1',
      shares: [{ path: target, tag: 'rootfs', readOnly: true }],
      accel: 'tcg',
      memory: 512,
      logDir: work,
      name: 'rpm-boot',
    });
    try {
      const rcs = await vm.waitFor(new RegExp(`${ROCKY_LIKE.rcsMarker}: Rocky-like Linux 10.0, kernel (\\S+)`), {
        timeout: 300_000,
      });
      expect(rcs.groups?.[0] ?? rcs.match).toContain(kernelVersion);
      await vm.waitFor(`${ROCKY_LIKE.hostname} login:`, { timeout: 120_000 });
      await vm.send('root\n');
      await vm.waitFor('/root # ', { timeout: 60_000 }); // ash's prompt (then a cursor query)
      await vm.send('echo "shell $((6 * 7)) $(cat /proc/sys/kernel/hostname)"\n');
      await vm.waitFor(`shell 42 ${ROCKY_LIKE.hostname}`, { timeout: 60_000 });
      console.log(`rpm rootfs boot: shell answered after ${(vm.elapsedMs() / 1000).toFixed(1)} s`);
    } finally {
      await vm.kill();
    }
  }, 600_000);
});
