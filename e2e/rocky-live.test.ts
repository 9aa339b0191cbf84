// examples/rocky-live end to end through the distroforge command, against the RPM repository the
// test run generates (tools/rpm-test-repo: rpmbuild + createrepo_c; Debian's busybox and kernel
// repackaged as RPMs, a release package, comps.xml with a `minimal` group): `@minimal` resolved
// from the folder (rpm-dir) and from its repodata (rpm-repo), installed without the host's rpm,
// overlaid, squashed, put on a hybrid ISO and a GPT disk (the squashfs as a read-only root
// partition plus a data partition for the overlay), and booted from CD-ROM and disk under BIOS and
// UEFI with a getty login on the serial console; the disk keeps a file across reboots.
import { createHash } from 'node:crypto';
import { appendFile, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectDisk } from '@distroforge/disk-assemble';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateRpmTestRepo } from '../tools/rpm-test-repo/generate.mjs';
import { BOOT_CHAIN_PACKAGE_NAMES, BOOT_CHAIN_SOURCES } from '../tools/rpm-test-repo/boot-chain.mjs';
import { copyExample, distroforge, repo, type BuildResult } from './distroforge-cli.js';

let work = '';
let profile = '';
let rpms = '';

async function pointAt(type: 'rpm-dir' | 'rpm-repo', location: string): Promise<void> {
  const file = join(profile, 'profile.yaml');
  const text = await readFile(file, 'utf8');
  await writeFile(
    file,
    text.replace(/source:\n {2}type: .*\n {2}location: .*\n/, `source:\n  type: ${type}\n  location: ${location}\n`),
  );
}

beforeAll(async () => {
  rpms = (await generateRpmTestRepo(join(repo, '.cache', 'rpm-test-repo', 'repo'))).dir;
  ({ work, profile } = await copyExample('rocky-live'));
  await pointAt('rpm-dir', rpms);
});
afterAll(async () => {
  // Builds of this size fill a disk quickly: the temp copy goes with its state and outputs.
  if (work) await rm(work, { recursive: true, force: true });
});

it('builds @minimal from a folder of RPMs and boots it from CD-ROM and disk under BIOS and UEFI', async () => {
  const result = await distroforge(['test', profile, '--jobs', '2']);
  for (const s of result.build.stages) console.log(`rocky-live stage ${s.name}: ${(s.ms / 1000).toFixed(1)} s`);
  for (const b of result.boots)
    console.log(`rocky-live boot ${b.firmware}/${b.medium}: login prompt after ${(b.readyMs / 1000).toFixed(1)} s`);
  expect(result.build.packages.map((p) => p.name)).toEqual(
    expect.arrayContaining(['busybox', 'filesystem', 'kernel', 'rocky-like-release']),
  );
  expect(result.boots.map((b) => `${b.firmware}/${b.medium}`)).toEqual([
    'bios/cdrom',
    'uefi/cdrom',
    'bios/disk',
    'uefi/disk',
    'bios/disk-usb',
    'uefi/disk-usb',
  ]);
  for (const boot of result.boots) {
    expect(boot.lastLines ?? [], `${boot.firmware}/${boot.medium}`).toEqual([]);
    expect(boot.commands.map((c) => [c.run, c.ok])).toEqual([
      ['hostname', true],
      ['cat /etc/motd', true],
      ['ls /lib/modules', true],
    ]);
  }
  expect(result.boots.filter((b) => b.medium.startsWith('disk')).map((b) => b.persistence)).toEqual([
    'written',
    'written',
    'found',
    'found',
  ]);
  // The disk's root is the read-only squashfs under an overlay whose writable layer is the data partition.
  for (const boot of result.boots.filter((b) => b.medium.startsWith('disk'))) {
    const log = await readFile(boot.consoleLog!, 'utf8');
    expect(log, `${boot.firmware}/${boot.medium}`).toMatch(/live: mounted \S+ \(squashfs, read-only image\)/);
    expect(log, `${boot.firmware}/${boot.medium}`).toMatch(/live: persistence on \S+ \(ext4\): changes are kept/);
  }
  expect(result.ok).toBe(true);
}, 2_400_000);

it('the disk image holds the squashfs byte for byte as its root partition, and a data partition', async () => {
  const report = JSON.parse(await readFile(join(profile, 'out', 'build-report.json'), 'utf8')) as BuildResult;
  const disk = report.outputs.find((o) => o.kind === 'disk')!;
  const squashfs = report.outputs.find((o) => o.kind === 'squashfs')!;
  const inspected = await inspectDisk(disk.file);
  expect(inspected.partitions.map((p) => [p.name, p.filesystem?.type])).toEqual([
    ['BIOS boot', undefined],
    ['ESP', 'vfat'],
    ['root', 'squashfs'],
    ['data', 'ext4'],
  ]);
  const root = inspected.partitions[2]!;
  const bytes = Buffer.alloc(squashfs.bytes);
  const handle = await open(disk.file, 'r');
  await handle.read(bytes, 0, bytes.length, root.start).finally(() => handle.close());
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(squashfs.sha256);
});

it('the rootfs tar holds what the squashfs holds: the same paths, permissions and owners', async () => {
  const report = JSON.parse(await readFile(join(profile, 'out', 'build-report.json'), 'utf8')) as BuildResult;
  const tar = report.outputs.find((o) => o.kind === 'rootfs-tar')!;
  const squashfs = report.outputs.find((o) => o.kind === 'squashfs')!;
  // "mode owner path": a hard link is a plain file in squashfs, "h" in tar.
  const entry = (mode: string, owner: string, path: string) =>
    `${mode.replace(/^h/, '-')} ${owner} ${path.replace(/\/$/, '') || '/'}`;
  const fromTar = (await execa('tar', ['-tvf', tar.file, '--numeric-owner'])).stdout.split('\n').map((l) => {
    const [mode = '', owner = ''] = l.split(/\s+/);
    const path = / \.(\/\S*)/.exec(l)?.[1] ?? '';
    return entry(mode, owner, path);
  });
  const fromSquashfs = (await execa('unsquashfs', ['-lln', '-d', '', squashfs.file])).stdout
    .split('\n')
    .filter((l) => /^[-dlcbps][-rwxsStT]{9} /.test(l))
    .map((l) => {
      const [mode = '', owner = ''] = l.split(/\s+/);
      const path = / (\/\S*)(?: -> .*)?$/.exec(l)?.[1] ?? '/';
      return entry(mode, owner, path);
    });
  expect(fromTar.length).toBeGreaterThan(100);
  expect([...fromTar].sort()).toEqual([...fromSquashfs].sort());
});

it('boot-tests the ISO file itself, without its profile (test IMAGE --ready --login)', async () => {
  const report = JSON.parse(await readFile(join(profile, 'out', 'build-report.json'), 'utf8')) as BuildResult;
  const iso = report.outputs.find((o) => o.kind === 'iso')!;
  const result = await distroforge([
    'test',
    iso.file,
    '--ready',
    'rocky-live login:',
    '--login',
    'root',
    '--firmware',
    'bios',
  ]);
  console.log(`rocky-live ISO as an image: login prompt after ${(result.boots[0]!.readyMs / 1000).toFixed(1)} s`);
  expect(result.boots.map((b) => [`${b.firmware}/${b.medium}`, b.ok])).toEqual([['bios/cdrom', true]]);
  expect(result.ok).toBe(true);
});

it('builds again from scratch elsewhere with every output byte-identical (build --check)', async () => {
  const built = JSON.parse(await readFile(join(profile, 'out', 'build-report.json'), 'utf8')) as BuildResult;
  const run = await execa(
    'node',
    [join(repo, 'packages', 'cli', 'dist', 'bin', 'cli.js'), 'build', profile, '--check', '--json'],
    { reject: false, timeout: 1_200_000 },
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
    'rootfs-tar',
    'spdx',
    'squashfs',
  ]);
  expect(checked.outputs.map((o) => [o.kind, o.sha256])).toEqual(built.outputs.map((o) => [o.kind, o.sha256]));
  expect(String(run.stderr)).toContain(
    `reproducible: a second build from scratch gave the same ${checked.outputs.length} outputs`,
  );
}, 1_200_000);

it('the same packages through the repository metadata (rpm-repo) give the same root image', async () => {
  const first = JSON.parse(await readFile(join(profile, 'out', 'build-report.json'), 'utf8')) as BuildResult;
  await pointAt('rpm-repo', `file://${rpms}`);
  const second = await distroforge<BuildResult>([
    'build',
    profile,
    '--state',
    join(work, 'state2'),
    '--out',
    join(work, 'out2'),
  ]);
  expect(second.packages).toEqual(first.packages);
  const image = (b: BuildResult) => b.outputs.find((o) => o.kind === 'squashfs')?.sha256;
  expect(image(second)).toBe(image(first));
});

it("boots with Secure Boot from the image's own chain: shim-x64, grub2-efi-x64, grub2-pc-modules from the repository, not the host's", async () => {
  // A second copy of the example with the repository's boot chain (Debian's signed shim, GRUB and
  // modules repackaged in the EL layout, tools/rpm-test-repo/boot-chain.mjs) and Secure Boot.
  const own = await copyExample('rocky-live');
  try {
    const file = join(own.profile, 'profile.yaml');
    const text = (await readFile(file, 'utf8'))
      .replace(/source:\n {2}type: .*\n {2}location: .*\n/, `source:\n  type: rpm-dir\n  location: ${rpms}\n`)
      .replace(/^firmware: .*$/m, 'firmware: [bios, uefi-secureboot]');
    await writeFile(file, text);
    await appendFile(join(own.profile, 'packages.txt'), `${BOOT_CHAIN_PACKAGE_NAMES.join('\n')}\n`);
    const result = await distroforge(['test', own.profile, '--medium', 'cdrom,disk', '--jobs', '2']);
    const report = JSON.parse(await readFile(join(own.profile, 'out', 'build-report.json'), 'utf8')) as BuildResult & {
      bootFiles: {
        output: string;
        firmware: string;
        set: string;
        files: { key: string; path: string; package?: string; sha256: string }[];
      }[];
    };
    expect(report.packages.map((p) => p.name)).toEqual(expect.arrayContaining(BOOT_CHAIN_PACKAGE_NAMES));
    // Every output and firmware used the image's files, in the EL layout, each with its package.
    expect(report.bootFiles.map((b) => `${b.output}/${b.firmware}: ${b.set}`)).toEqual([
      'iso/bios: image',
      'iso/uefi-secureboot: image',
      'disk/bios: image',
      'disk/uefi-secureboot: image',
    ]);
    const secureBoot = report.bootFiles.find((b) => b.output === 'iso' && b.firmware === 'uefi-secureboot')!;
    expect(secureBoot.files.map((f) => [f.key, f.path, f.package])).toEqual([
      ['shim', '/boot/efi/EFI/rocky/shimx64.efi', 'shim-x64'],
      ['signedGrub', '/boot/efi/EFI/rocky/grubx64.efi', 'grub2-efi-x64'],
      ['mokManager', '/boot/efi/EFI/rocky/mmx64.efi', 'shim-x64'],
    ]);
    // The repository's GRUB is Debian's grubx64.efi (the host set would be gcdx64.efi): the image's file was used.
    expect(secureBoot.files[1]?.sha256).toBe(
      createHash('sha256')
        .update(await readFile(BOOT_CHAIN_SOURCES.grub))
        .digest('hex'),
    );
    for (const b of result.boots)
      console.log(
        `rocky-live own chain ${b.firmware}/${b.medium}: login prompt after ${(b.readyMs / 1000).toFixed(1)} s`,
      );
    expect(result.boots.map((b) => [`${b.firmware}/${b.medium}`, b.ok])).toEqual([
      ['bios/cdrom', true],
      ['uefi-secureboot/cdrom', true],
      ['bios/disk', true],
      ['uefi-secureboot/disk', true],
    ]);
    // Secure Boot was on: shim verified GRUB, GRUB verified the kernel, the kernel says so.
    for (const boot of result.boots.filter((b) => b.firmware === 'uefi-secureboot')) {
      expect(await readFile(boot.consoleLog!, 'utf8'), boot.medium).toContain('secureboot: Secure boot enabled');
    }
    expect(result.ok).toBe(true);
  } finally {
    await rm(own.work, { recursive: true, force: true });
  }
}, 2_400_000);
