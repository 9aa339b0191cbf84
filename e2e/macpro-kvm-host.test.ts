// examples/macpro-kvm-host (the Mac Pro 6,1 seed's KVM host on Debian) end to end through the
// distroforge command: QEMU/KVM, libvirt (daemon enabled), virt-manager, OVMF, a bridge for the
// guests, Mesa and the AMD GPU firmware, fan control (enabled; skipped off Apple hardware), kvm
// module options, br_netfilter and sysctl tuning, launch-macos.sh, a user in kvm and libvirt.
// Built as ISO and GPT disk; the disk booted under BIOS, UEFI and UEFI Secure Boot as a virtio disk
// and then as a USB-storage device (the second boot must find the file the first wrote), with the
// profile's checks on the console; then built again from scratch elsewhere and compared byte for byte.
import { execa } from 'execa';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyExample, distroforge, repo, type BuildResult } from './distroforge-cli.js';

let work = '';
let profile = '';

let profileChecks: string[] = [];

beforeAll(async () => {
  ({ work, profile } = await copyExample('macpro-kvm-host'));
  profileChecks = [...(await readFile(join(profile, 'profile.yaml'), 'utf8')).matchAll(/^ {4}- run: (.*)$/gm)].map(
    (m) => m[1]!,
  );
});
afterAll(async () => {
  // Builds of this size fill a disk quickly: the temp copy goes with its state and outputs.
  if (work) await rm(work, { recursive: true, force: true });
});

it('builds the KVM host and boots its disk image under BIOS, UEFI and Secure Boot, on virtio then USB', async () => {
  const result = await distroforge(['test', profile, '--medium', 'disk,disk-usb', '--jobs', '2'], 2_400_000);
  for (const s of result.build.stages) console.log(`macpro-kvm-host stage ${s.name}: ${(s.ms / 1000).toFixed(1)} s`);
  for (const b of result.boots)
    console.log(`macpro-kvm-host boot ${b.firmware}/${b.medium}: shell after ${(b.readyMs / 1000).toFixed(1)} s`);
  for (const o of result.build.outputs) console.log(`macpro-kvm-host ${o.kind}: ${(o.bytes / 1048576).toFixed(1)} MiB`);
  const names = result.build.packages.map((p) => p.name);
  expect(names).toEqual(
    expect.arrayContaining([
      'qemu-system-x86',
      'libvirt-daemon-system',
      'virt-manager',
      'ovmf',
      'macfanctld',
      'bridge-utils',
      'dnsmasq-base',
      'spice-client-gtk',
      'libgl1-mesa-dri',
      'firmware-amd-graphics',
    ]),
  );
  // What the seed asks of the host, each a check of the profile run in every boot.
  expect(profileChecks).toEqual([
    'id vmadmin',
    'cat /sys/module/kvm/parameters/ignore_msrs',
    'systemctl is-enabled libvirtd.service',
    'command -v qemu-system-x86_64 virsh virt-manager spicy dnsmasq brctl',
    'ip -o link show dev br0',
    'test -d /sys/module/br_netfilter && sysctl -n net.bridge.bridge-nf-call-iptables vm.swappiness',
    'systemctl is-enabled macfanctld.service && ! systemctl is-failed --quiet macfanctld.service',
    'test -x /usr/local/bin/launch-macos.sh && launch-macos.sh --help',
    'ls /lib/firmware/amdgpu/tahiti_mc.bin /lib/firmware/radeon/TAHITI_smc.bin',
    'ls /usr/lib/x86_64-linux-gnu/dri/radeonsi_dri.so',
  ]);
  expect(result.build.outputs.map((o) => o.kind)).toEqual(expect.arrayContaining(['iso', 'disk']));
  expect(result.boots.map((b) => `${b.firmware}/${b.medium}`)).toEqual([
    'bios/disk',
    'uefi/disk',
    'uefi-secureboot/disk',
    'bios/disk-usb',
    'uefi/disk-usb',
    'uefi-secureboot/disk-usb',
  ]);
  for (const boot of result.boots) {
    expect(boot.lastLines ?? [], `${boot.firmware}/${boot.medium}`).toEqual([]);
    // Every check of the profile passed: its output matched and it exited 0.
    expect(boot.commands.map((c) => [c.run, c.ok, c.exitStatus])).toEqual(profileChecks.map((run) => [run, true, 0]));
  }
  expect(result.boots.map((b) => b.persistence)).toEqual(['written', 'written', 'written', 'found', 'found', 'found']);
  const secure = result.boots.find((b) => b.firmware === 'uefi-secureboot')!;
  expect(await readFile(secure.consoleLog!, 'utf8')).toMatch(/Secure boot enabled/);
  expect(result.ok).toBe(true);
}, 3_000_000);

it('builds again from scratch elsewhere with every output byte-identical (build --check)', async () => {
  const built = JSON.parse(await readFile(join(profile, 'out', 'build-report.json'), 'utf8')) as BuildResult;
  const run = await execa(
    'node',
    [join(repo, 'packages', 'cli', 'dist', 'bin', 'cli.js'), 'build', profile, '--check', '--json'],
    { reject: false, timeout: 2_400_000 },
  );
  // Exit 0 only when the second build, from scratch in another directory, gave every output the
  // same SHA-256 (otherwise ERR_BUILD_NOT_REPRODUCIBLE naming the differing outputs, exit 4).
  expect(run.exitCode, String(run.stderr).split('\n').slice(-10).join('\n')).toBe(0);
  const checked = JSON.parse(String(run.stdout).trim().split('\n').at(-1) ?? '') as BuildResult;
  expect(checked.outputs.map((o) => o.kind).sort()).toEqual([
    'cyclonedx',
    'disk',
    'initramfs',
    'iso',
    'kernel',
    'spdx',
  ]);
  expect(checked.outputs.map((o) => [o.kind, o.sha256])).toEqual(built.outputs.map((o) => [o.kind, o.sha256]));
  expect(String(run.stderr)).toContain(
    `reproducible: a second build from scratch gave the same ${checked.outputs.length} outputs`,
  );
}, 3_000_000);
