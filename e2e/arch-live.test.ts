// examples/arch-live end to end through the distroforge command, against the pacman repository the
// test run generates (tools/pacman-test-repo: Debian's busybox and kernel repackaged as Arch
// packages, validated by Debian's pacman): `base` and `linux` resolved from the sync databases,
// installed without pacman (local database, .INSTALL functions, alpm hooks in a user namespace),
// overlaid, squashed, put on a hybrid ISO and a GPT disk, and booted from CD-ROM and disk under
// BIOS and UEFI to a getty login on the serial console; the disk keeps a file across reboots. The
// image's own pacman database (in the rootfs-tar output) is then checked by Debian's pacman (-Q,
// -Qk, -Dk clean).
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generatePacmanTestRepo } from '../tools/pacman-test-repo/generate.mjs';
import { copyExample, distroforge, repo, type BuildResult } from './distroforge-cli.js';

let work = '';
let profile = '';
let mirror = '';

beforeAll(async () => {
  mirror = (await generatePacmanTestRepo(join(repo, '.cache', 'pacman-test-repo', 'repo'))).dir;
  ({ work, profile } = await copyExample('arch-live'));
  const file = join(profile, 'profile.yaml');
  const text = await readFile(file, 'utf8');
  // The example names a real Arch mirror and requires signatures; the generated repository is a
  // file:// mirror of unsigned packages.
  const pointed = text
    .replace(/^ {2}mirror: .*$/m, `  mirror: file://${mirror}/$repo`)
    .replace(/^ {2}sigLevel: required$/m, '  sigLevel: off');
  expect(pointed).not.toBe(text);
  await writeFile(file, pointed);
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

it('builds base + linux from a pacman mirror and boots it from CD-ROM and disk under BIOS and UEFI', async () => {
  const result = await distroforge(['test', profile, '--jobs', '2']);
  for (const s of result.build.stages) console.log(`arch-live stage ${s.name}: ${(s.ms / 1000).toFixed(1)} s`);
  for (const b of result.boots)
    console.log(`arch-live boot ${b.firmware}/${b.medium}: login prompt after ${(b.readyMs / 1000).toFixed(1)} s`);
  for (const o of result.build.outputs) console.log(`arch-live ${o.kind}: ${(o.bytes / 1048576).toFixed(1)} MiB`);
  expect(result.build.packages.map((p) => p.name)).toEqual(
    expect.arrayContaining(['base', 'linux', 'busybox', 'filesystem']),
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
    expect(boot.commands.map((c) => [c.run, c.ok, c.exitStatus])).toEqual([
      ['hostname', true, 0],
      ['cat /etc/motd', true, 0],
      ['ls /var/lib/pacman/local', true, 0],
    ]);
  }
  expect(result.boots.filter((b) => b.medium.startsWith('disk')).map((b) => b.persistence)).toEqual([
    'written',
    'written',
    'found',
    'found',
  ]);
  expect(result.ok).toBe(true);
}, 2_400_000);

it("the image's pacman database is what Debian's pacman expects: -Q lists the packages, -Qk and -Dk are clean", async () => {
  const built = JSON.parse(await readFile(join(profile, 'out', 'build-report.json'), 'utf8')) as BuildResult;
  const root = await mkdtemp(join(tmpdir(), 'arch-live-root-'));
  try {
    // The finished root as the rootfs-tar output holds it (owners and modes as in the images).
    const tarball = built.outputs.find((o) => o.kind === 'rootfs-tar')!.file;
    await execa('bsdtar', ['-x', '-p', '-f', tarball, '-C', root]);
    const pacman = (args: string[]) =>
      execa('pacman', ['--root', root, '--dbpath', join(root, 'var/lib/pacman'), ...args], { reject: false });
    const q = await pacman(['-Q']);
    expect(q.exitCode, q.stderr).toBe(0);
    expect(
      q.stdout
        .split('\n')
        .map((l) => l.split(' ')[0])
        .sort(),
    ).toEqual(built.packages.map((p) => p.name).sort());
    const qk = await pacman(['-Qk']);
    expect(qk.exitCode, `${qk.stdout}\n${qk.stderr}`).toBe(0);
    const dk = await pacman(['-Dk']);
    expect(dk.exitCode, `${dk.stdout}\n${dk.stderr}`).toBe(0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}, 600_000);
