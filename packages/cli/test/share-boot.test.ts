// The 9p dev loop: `distroforge test --medium 9p` builds only what a boot of the staged tree needs
// (the root, the overlay, the live initramfs with its kernel) and no root image, ISO, disk or
// inventory, then boots the tree shared from the host to the ready prompt; after one airootfs file
// changes, only the overlay runs again and the next boot sees the change. On the smallest bootable
// profile there is (test/fixtures/rpm-live-disk: the generated RPM repository's busybox root), by
// the real command (main() from source).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findVirtiofsd } from '@distroforge/qemu-launch';
import { parse, stringify } from 'yaml';
import { generateRpmTestRepo } from '../../../tools/rpm-test-repo/generate.mjs';
import { exitCodes } from '../src/exit-codes.js';
import type { BuildReport } from '../src/pipeline/build-profile.js';
import type { BootVerdict } from '../src/pipeline/boot-test.js';
import { jsonLines, runDistroforge } from './run-distroforge.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
let work = '';
let profile = '';

interface TestRun {
  exitCode: number;
  stderr: string;
  result: { ok: boolean; build: BuildReport; boots: BootVerdict[] };
}

/** Where no virtiofsd is installed, the virtiofs medium is not offered (launch names the package). */
const hasVirtiofsd = await findVirtiofsd().then(
  () => true,
  () => false,
);

async function test9p(medium = '9p'): Promise<TestRun> {
  const run = await runDistroforge(['test', profile, '--json', '--medium', medium]);
  const result = jsonLines(run.stdout).find((l) => l.type === 'result') as unknown as TestRun['result'] | undefined;
  expect(result, run.stderr).toBeDefined();
  return { exitCode: run.exitCode, stderr: run.stderr, result: result! };
}

beforeAll(async () => {
  const rpms = (await generateRpmTestRepo(join(repoRoot, '.cache', 'rpm-test-repo', 'repo'))).dir;
  work = await mkdtemp(join(tmpdir(), 'df-share-boot-'));
  profile = join(work, 'rpm-live-disk');
  await cp(join(import.meta.dirname, 'fixtures', 'rpm-live-disk'), profile, { recursive: true });
  const file = join(profile, 'profile.yaml');
  const doc = parse(await readFile(file, 'utf8')) as { source: unknown; test: { commands: unknown[] } };
  doc.source = { type: 'rpm-dir', location: rpms };
  // The root is the host's tree over 9p under the live overlay, not an EROFS image.
  doc.test.commands = [
    { run: 'hostname', expect: 'rpm-live-disk' },
    { run: 'cat /etc/motd', expect: 'built by distroforge' },
    { run: "grep ' / ' /proc/mounts", expect: 'overlay / overlay' },
    // The share QEMU offers over virtio-9p, bound by the guest's 9p transport (nothing else holds a root here).
    { run: 'cat /sys/bus/virtio/drivers/9pnet_virtio/virtio*/mount_tag', expect: 'rootfs' },
  ];
  await writeFile(file, stringify(doc));
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('test --medium 9p', () => {
  it('builds no root image, ISO, disk or inventory and boots the staged tree to the ready prompt', async () => {
    const run = await test9p();
    const { build, boots } = run.result;
    console.log(
      `rpm-live-disk 9p, cold: build ${build.totalMs} ms (${build.stages.map((s) => s.name).join(', ')}), ready in ${boots[0]?.readyMs} ms (${boots[0]?.accel})`,
    );
    expect(build.stages.map((s) => s.name)).toEqual(['rootfs', 'overlay', 'initramfs']);
    expect(build.only).toBe('share');
    // The report claims only what was built: no EROFS image, no qcow2 disk, no SBOMs, no root image to boot.
    expect(build.outputs.map((o) => o.kind)).toEqual(['kernel', 'initramfs']);
    expect(build.direct?.rootImage).toBeUndefined();
    expect(build.direct?.append).toContain('live.root=9p');
    expect(
      boots.map((b) => [`${b.firmware}/${b.medium}`, b.error, b.ok]),
      JSON.stringify(boots[0], null, 1),
    ).toEqual([['bios/9p', undefined, true]]);
    expect(boots[0]!.commands.map((c) => [c.run, c.ok])).toEqual([
      ['hostname', true],
      ['cat /etc/motd', true],
      ["grep ' / ' /proc/mounts", true],
      ['cat /sys/bus/virtio/drivers/9pnet_virtio/virtio*/mount_tag', true],
    ]);
    expect(run.exitCode).toBe(exitCodes.ok);
  }, 1_200_000);

  it('after one airootfs file changes, runs only the overlay again and the boot sees the new file', async () => {
    await writeFile(join(profile, 'airootfs', 'etc', 'motd'), 'edited in the 9p loop\n');
    const file = join(profile, 'profile.yaml');
    const doc = parse(await readFile(file, 'utf8')) as { test: { commands: { run: string; expect: string }[] } };
    doc.test.commands = doc.test.commands.map((c) =>
      c.run === 'cat /etc/motd' ? { ...c, expect: 'edited in the 9p loop' } : c,
    );
    await writeFile(file, stringify(doc));
    const run = await test9p();
    const { build, boots } = run.result;
    console.log(
      `rpm-live-disk 9p, one airootfs file changed: build ${build.totalMs} ms, ready in ${boots[0]?.readyMs} ms (${boots[0]?.accel})`,
    );
    expect(Object.fromEntries(build.stages.map((s) => [s.name, s.cached]))).toEqual({
      rootfs: true,
      overlay: false,
      initramfs: true,
    });
    expect(boots.map((b) => [b.medium, b.ok])).toEqual([['9p', true]]);
    const motd = boots[0]!.commands.find((c) => c.run === 'cat /etc/motd')!;
    expect(motd.output).toContain('edited in the 9p loop');
    expect(run.exitCode).toBe(exitCodes.ok);
  }, 1_200_000);

  it.skipIf(!hasVirtiofsd)(
    'virtiofs takes the same short path: nothing built again, the tree served by virtiofsd',
    async () => {
      const file = join(profile, 'profile.yaml');
      const doc = parse(await readFile(file, 'utf8')) as { test: { commands: { run: string; expect: string }[] } };
      doc.test.commands = doc.test.commands.map((c) =>
        c.run.includes('9pnet_virtio') ? { run: 'ls /sys/bus/virtio/drivers/virtiofs', expect: '/virtio\\d/' } : c,
      );
      await writeFile(file, stringify(doc));
      const run = await test9p('virtiofs');
      const { build, boots } = run.result;
      console.log(
        `rpm-live-disk virtiofs: build ${build.totalMs} ms, ready in ${boots[0]?.readyMs} ms (${boots[0]?.accel})`,
      );
      expect(build.stages.map((s) => [s.name, s.cached])).toEqual([
        ['rootfs', true],
        ['overlay', true],
        ['initramfs', true],
      ]);
      expect(build.outputs.map((o) => o.kind)).toEqual(['kernel', 'initramfs']);
      expect(
        boots.map((b) => [`${b.firmware}/${b.medium}`, b.error, b.ok]),
        JSON.stringify(boots[0], null, 1),
      ).toEqual([['bios/virtiofs', undefined, true]]);
      expect(boots[0]!.commands.find((c) => c.run === 'cat /etc/motd')?.output).toContain('edited in the 9p loop');
      expect(run.exitCode).toBe(exitCodes.ok);
    },
    1_200_000,
  );
});
