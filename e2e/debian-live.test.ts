// examples/debian-live end to end through the distroforge command: apt bootstrap (verified),
// overlay (hostname, a user in kvm with its home, a service of its own, autologin on ttyS0),
// squashfs with the manifest's ownership, live initramfs, hybrid ISO and GPT disk image; the ISO
// booted from CD-ROM and the disk image as a virtio disk and then as a USB-storage device (the
// second boot must find a file the first wrote) under BIOS, UEFI and Secure Boot; the ISO as a
// plain disk (the USB stick case); then directly (kernel + initramfs, root image on virtio) and
// over 9p, with the profile's checks run on the serial console. The disk passes sfdisk --verify,
// sgdisk -v and fsck.ext4 -fn. After one overlay file changes, the incremental build re-runs only
// the later stages and gives the bytes of a cold build in another state directory. The SBOMs list
// exactly the installed packages and pass the official SPDX 2.3 and CycloneDX 1.5 schemas.
import { execa } from 'execa';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatBootStages } from '@distroforge/cli';
import { cycloneDxErrors, spdxErrors } from '../packages/cli/test/sbom-schemas.js';
import { copyExample, distroforge, type BuildResult } from './distroforge-cli.js';

let work = '';
let profile = '';

beforeAll(async () => {
  ({ work, profile } = await copyExample('debian-live'));
});
afterAll(async () => {
  // Builds of this size fill a disk quickly: the temp copy goes with its state and outputs.
  if (work) await rm(work, { recursive: true, force: true });
});

it('builds and boots the ISO from CD-ROM and the disk image on virtio then USB, under BIOS, UEFI and Secure Boot', async () => {
  const result = await distroforge(['test', profile, '--jobs', '2']);
  for (const s of result.build.stages)
    console.log(`debian-live stage ${s.name}: ${(s.ms / 1000).toFixed(1)} s${s.cached ? ' (cached)' : ''}`);
  for (const b of result.boots) {
    console.log(
      `debian-live boot ${b.firmware}/${b.medium}: shell after ${(b.readyMs / 1000).toFixed(1)} s (${b.accel}: ${formatBootStages(b.stages)})`,
    );
    expect(b.stages.reduce((sum, s) => sum + s.ms, 0)).toBe(b.readyMs);
    expect(b.stages.at(-1)?.stage).toMatch(/system$/);
  }
  // From CD-ROM every milestone shows on the serial console: GRUB's menu, the kernel banner, /init, the live init's switch.
  for (const b of result.boots.filter((b) => b.medium === 'cdrom' && b.firmware !== 'uefi-secureboot')) {
    expect(b.stages.map((s) => s.stage)).toEqual(['firmware', 'bootloader', 'kernel', 'initramfs', 'system']);
  }
  const iso = result.build.outputs.find((o) => o.kind === 'iso');
  const disk = result.build.outputs.find((o) => o.kind === 'disk');
  // The live root is layered (an image of the bootstrapped root + the overlay's layer), so no whole-root squashfs is published.
  expect(result.build.outputs.map((o) => o.kind).sort()).toEqual([
    'cyclonedx',
    'disk',
    'initramfs',
    'iso',
    'kernel',
    'spdx',
  ]);
  console.log(
    `debian-live ISO ${(iso!.bytes / 1048576).toFixed(1)} MiB, disk ${(disk!.bytes / 1048576).toFixed(0)} MiB`,
  );
  // The SBOMs name exactly the packages the build installed, and pass the official schemas.
  const sbom = async (kind: string) =>
    JSON.parse(await readFile(result.build.outputs.find((o) => o.kind === kind)!.file, 'utf8')) as {
      packages: { name: string; versionInfo?: string }[];
      components: { name: string; version: string }[];
    };
  const [spdx, cdx] = [await sbom('spdx'), await sbom('cyclonedx')];
  expect(spdxErrors(spdx)).toEqual([]);
  expect(cycloneDxErrors(cdx)).toEqual([]);
  const installed = result.build.packages.map((p) => `${p.name} ${p.version}`).sort();
  expect(
    spdx.packages
      .slice(1)
      .map((p) => `${p.name} ${p.versionInfo}`)
      .sort(),
  ).toEqual(installed);
  expect(cdx.components.map((c) => `${c.name} ${c.version}`).sort()).toEqual(installed);
  expect(result.boots.map((b) => `${b.firmware}/${b.medium}`)).toEqual([
    'bios/cdrom',
    'uefi/cdrom',
    'uefi-secureboot/cdrom',
    'bios/disk',
    'uefi/disk',
    'uefi-secureboot/disk',
    'bios/disk-usb',
    'uefi/disk-usb',
    'uefi-secureboot/disk-usb',
  ]);
  for (const boot of result.boots) {
    expect(boot.lastLines ?? [], `${boot.firmware}/${boot.medium}`).toEqual([]);
    expect(boot.commands.map((c) => [c.run, c.ok])).toEqual([
      ['hostname', true],
      ['id live', true],
      ['stat -c %U /home/live', true],
      ['systemctl is-active distroforge-hello.service', true],
      [
        'echo "sysusers condition $(systemctl show -P ConditionResult systemd-sysusers.service) at $(systemctl show -P ConditionTimestampMonotonic systemd-sysusers.service)"',
        true,
      ],
    ]);
  }
  // Each firmware's USB boot ran on the disk its virtio boot had written to and powered off.
  expect(result.boots.filter((b) => b.medium.startsWith('disk')).map((b) => b.persistence)).toEqual([
    'written',
    'written',
    'written',
    'found',
    'found',
    'found',
  ]);
  expect(result.ok).toBe(true);
  expect(await readFile(`${iso!.file}.sha256`, 'utf8')).toContain(iso!.sha256);
  // The kernel itself confirms Secure Boot was enforced (shim -> signed GRUB -> signed kernel).
  for (const medium of ['cdrom', 'disk', 'disk-usb']) {
    const secure = result.boots.find((b) => b.firmware === 'uefi-secureboot' && b.medium === medium)!;
    expect(await readFile(secure.consoleLog!, 'utf8'), medium).toMatch(/Secure boot enabled/);
  }
  const plain = result.boots.find((b) => b.firmware === 'uefi')!;
  expect(await readFile(plain.consoleLog!, 'utf8')).toMatch(/Secure boot disabled/);
}, 2_400_000);

it('the disk image passes sfdisk --verify, sgdisk -v and fsck.ext4 -fn', async () => {
  const report = JSON.parse(await readFile(join(profile, 'out', 'build-report.json'), 'utf8')) as BuildResult;
  const disk = report.outputs.find((o) => o.kind === 'disk')!.file;
  const verify = await execa('sfdisk', ['--verify', disk]);
  expect(verify.stdout).toMatch(/No errors detected/);
  expect((await execa('sgdisk', ['-v', disk])).stdout).toMatch(/No problems found/);
  const table = JSON.parse((await execa('sfdisk', ['--json', disk])).stdout) as {
    partitiontable: { partitions: { start: number; size: number; type: string }[] };
  };
  const root = table.partitiontable.partitions.find((p) => p.type === '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709')!;
  const ext4 = join(work, 'root.ext4');
  await execa('dd', [
    `if=${disk}`,
    `of=${ext4}`,
    'bs=512',
    `skip=${root.start}`,
    `count=${root.size}`,
    'conv=sparse',
    'status=none',
  ]);
  const fsck = await execa('fsck.ext4', ['-fn', ext4], { reject: false });
  expect(fsck.exitCode, fsck.stdout).toBe(0);
  await rm(ext4);
});

it.each(['bios', 'uefi'])(
  'boots the same ISO written to a plain disk (the USB stick case) under %s, from cache',
  async (firmware) => {
    const result = await distroforge(['test', profile, '--firmware', firmware, '--medium', 'iso-disk']);
    expect(result.build.stages.every((s) => s.cached)).toBe(true);
    console.log(`debian-live boot ${firmware}/iso-disk: shell after ${(result.boots[0]!.readyMs / 1000).toFixed(1)} s`);
    expect(result.boots.map((b) => [b.medium, b.ok])).toEqual([['iso-disk', true]]);
  },
);

it.each(['direct', '9p'])(
  'boots the dev loop (%s: kernel + initramfs, no ISO) with every check passing',
  async (medium) => {
    const result = await distroforge(['test', profile, '--medium', medium]);
    const boot = result.boots[0]!;
    console.log(
      `debian-live boot ${medium}: shell after ${(boot.readyMs / 1000).toFixed(1)} s (${boot.accel}: ${formatBootStages(boot.stages)}; kernel: ${boot.kernelBoot})`,
    );
    expect(boot.lastLines ?? []).toEqual([]);
    expect(result.boots.map((b) => [b.medium, b.ok])).toEqual([[medium, true]]);
    // Entered through PVH (the ELF kernel out of the bzImage), and it is the bzImage's kernel with the build's command line.
    expect(boot.kernelBoot).toMatch(/^PVH entry of the xz bzImage's ELF kernel/);
    const kernel = await readFile(result.build.direct!.kernel);
    const versionAt = kernel.readUInt16LE(0x20e) + 0x200;
    const version = kernel.toString('latin1', versionAt, kernel.indexOf(0, versionAt)).split(' ')[0];
    const consoleText = await readFile(boot.consoleLog!, 'utf8');
    expect(consoleText).toContain(`Linux version ${version} `);
    if (medium === 'direct') expect(consoleText).toContain(`Command line: ${result.build.direct!.append}\r\n`);
  },
);

it('after one overlay file changes, the incremental build re-runs only the stages after the overlay and gives the bytes of a cold build', async () => {
  // Every output as it is before the change (the 9p boot above built only what it needs: its report lists no ISO or disk).
  const before = await distroforge<BuildResult>(['build', profile]);
  await writeFile(join(profile, 'airootfs', 'etc', 'motd'), 'changed by the e2e test\n');
  const incremental = await distroforge<BuildResult>(['build', profile]);
  // The root image is of the bootstrapped root: only the overlay's layer is squashed again.
  expect(Object.fromEntries(incremental.stages.map((s) => [s.name, s.cached]))).toEqual({
    rootfs: true,
    initramfs: true,
    overlay: false,
    image: true,
    layer: false,
    iso: false,
    disk: false,
    // The inventory reads the final tree again.
    inventory: false,
  });
  const changed = new Set(
    incremental.outputs
      .filter((o) => before.outputs.find((b) => b.kind === o.kind)?.sha256 !== o.sha256)
      .map((o) => o.kind),
  );
  // And the SPDX document, which states the image's bytes in regular files (/etc/motd is no
  // package's: the packages' entries, all the CycloneDX one holds, stay as they were).
  expect([...changed].sort()).toEqual(['disk', 'iso', 'spdx']);
  // A second cold build in another state directory, of the changed profile: the same bytes.
  const buildElsewhere = () =>
    distroforge<BuildResult>(['build', profile, '--state', join(work, 'state2'), '--out', join(work, 'out2')]);
  const cold = await buildElsewhere();
  expect(cold.stages.some((s) => s.cached)).toBe(false);
  expect(cold.outputs.map((o) => [o.kind, o.sha256])).toEqual(incremental.outputs.map((o) => [o.kind, o.sha256]));
  // Cold, the initramfs is made from the kernel the rootfs stage handed over before its last
  // scripts ran; from the cached root, from the finished root's kernel: the same bytes.
  const stage = (r: BuildResult, name: string) => r.stages.find((s) => s.name === name)!;
  expect(stage(cold, 'initramfs').startMs).toBeLessThan(stage(cold, 'rootfs').startMs + stage(cold, 'rootfs').ms);
  await rm(join(work, 'state2', 'stages', 'initramfs'), { recursive: true, force: true });
  const fromFinishedRoot = await buildElsewhere();
  expect(stage(fromFinishedRoot, 'rootfs').cached).toBe(true);
  expect(stage(fromFinishedRoot, 'initramfs').cached).toBe(false);
  expect(fromFinishedRoot.outputs.map((o) => [o.kind, o.sha256])).toEqual(cold.outputs.map((o) => [o.kind, o.sha256]));
});
