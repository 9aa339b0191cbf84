// Rootless end to end (issue 23): examples/debian-live built and boot-tested by an ordinary user
// (created by the tests with a subordinate id range when they run as root), its maintainer scripts
// run in a user namespace, and the ISO and disk are byte for byte those of a root build in the same
// run. rocky-live (RPM scriptlets) likewise. Nothing in the user's state, outputs or home is left
// owned by anyone else (an id of the namespace's range would be one the user cannot remove).
import { execa } from 'execa';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ordinaryUser, type OrdinaryUser } from '../tools/testing/ordinary-user.mjs';
import { copyExample, distroforge, repo, type BuildResult, type TestResult } from './distroforge-cli.js';
import { generateRpmTestRepo } from '../tools/rpm-test-repo/generate.mjs';

let user: OrdinaryUser;
let view = ''; // where the user reaches the checkout (a bind mount when the checkout is hidden from it)
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  user = await ordinaryUser();
  view = await mkdtemp(join(tmpdir(), 'df-e2e-checkout-'));
  await chmod(view, 0o755);
  cleanups.push(() => rm(view, { recursive: true, force: true }));
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A copy of examples/NAME the user owns, in a folder of its own. */
async function userCopy(name: string): Promise<string> {
  const { work, profile } = await copyExample(name);
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  await chmod(work, 0o755);
  if (user.prefix.length > 0) await execa('chown', ['-R', `${user.uid}:${user.gid}`, work]);
  return profile;
}

/**
 * Runs `distroforge ARGS --json` as the ordinary user. As root, the checkout may sit in a folder
 * the user cannot enter (a clone under /root): a private mount namespace binds it at `view` first.
 */
async function asUser<T>(args: string[]): Promise<T> {
  const command = userCommand(args);
  const run = await execa(command[0]!, command.slice(1), { reject: false, timeout: 1_800_000, cwd: '/' });
  const last = String(run.stdout).trim().split('\n').at(-1) ?? '';
  if (!last.startsWith('{'))
    throw new Error(
      `distroforge ${args.join(' ')} as ${user.name} exited ${run.exitCode}:\n${String(run.stderr).split('\n').slice(-30).join('\n')}`,
    );
  return JSON.parse(last) as T;
}

/** The command line that runs `distroforge ARGS --json` as the ordinary user (see asUser). */
function userCommand(args: string[]): string[] {
  const cli = [process.execPath, join(view, 'packages/cli/dist/bin/cli.js'), ...args, '--json'];
  return user.prefix.length === 0
    ? [process.execPath, join(repo, 'packages/cli/dist/bin/cli.js'), ...args, '--json']
    : [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'mount --bind "$1" "$2" && shift 2 && exec "$@"',
        'sh',
        repo,
        view,
        ...user.prefix,
        ...cli,
      ];
}

/** Paths under `dir` (and the user's cache) owned by anyone but the user. */
async function foreignOwned(dir: string): Promise<string[]> {
  const dirs = [dir, join(user.home, '.cache', 'distroforge')];
  const { stdout } = await execa(
    'find',
    [...dirs, '(', '!', '-uid', String(user.uid), '-o', '!', '-gid', String(user.gid), ')', '-print'],
    { reject: false },
  );
  return stdout.split('\n').filter(Boolean);
}

/**
 * A profile script in each phase (prepare, postinstall, finalize) that leaves files of another id,
 * newer than the epoch: the owners must come back as the image saw them and the times be clamped for
 * an ordinary builder too.
 */
async function withOwnedScript(profile: string): Promise<void> {
  await mkdir(join(profile, 'scripts'), { recursive: true });
  const owned = (dir: string, id: number, mode: string) =>
    `#!/bin/sh\nset -e\nmkdir -p ${dir}\necho made > ${dir}/file\nchown -R ${id}:${id} ${dir}\nchmod ${mode} ${dir}\n`;
  await writeFile(join(profile, 'scripts', 'prepare.sh'), owned('/var/lib/df-prepared', 7, '0750'), { mode: 0o755 });
  await writeFile(join(profile, 'scripts', 'owned.sh'), owned('/var/lib/df-owned', 5, '0700'), { mode: 0o755 });
  await writeFile(join(profile, 'scripts', 'finalize.sh'), owned('/srv/df-final', 1000, '2770'), { mode: 0o755 });
  const file = join(profile, 'profile.yaml');
  await writeFile(
    file,
    `${await readFile(file, 'utf8')}\nscripts:\n  prepare: [scripts/prepare.sh]\n  postinstall: [scripts/owned.sh]\n  finalize: [scripts/finalize.sh]\n`,
  );
}

/** The images' digests and the SBOMs' (the same packages, licences and digests whoever built them). */
const COMPARED_KINDS = ['iso', 'disk', 'spdx', 'cyclonedx'];
const digests = (build: BuildResult) =>
  Object.fromEntries(build.outputs.filter((o) => COMPARED_KINDS.includes(o.kind)).map((o) => [o.kind, o.sha256]));

it('debian-live (plus a profile script per phase): built and booted from disk (with persistence) under BIOS, UEFI and Secure Boot and over 9p by an ordinary user, with the bytes of a root build', {
  timeout: 2_400_000,
}, async () => {
  const mine = await userCopy('debian-live');
  await withOwnedScript(mine);
  if (user.prefix.length > 0) await execa('chown', ['-R', `${user.uid}:${user.gid}`, mine]);
  // Every firmware, on the media where an ordinary user's run differs from root's: a writable copy
  // of the disk for the persistence chain, OVMF variable stores (the CD boots are root's bytes and
  // the same QEMU invocation; e2e/debian-live.test.ts boots those).
  // And the dev loop's 9p share: the user's staging tree shown with the image's owners (QEMU runs
  // as root of a user namespace), or `stat -c %U /home/live` would name the builder.
  const result = await asUser<TestResult>(['test', mine, '--jobs', '2', '--medium', 'disk,disk-usb,9p']);
  for (const s of result.build.stages)
    console.log(`rootless debian-live stage ${s.name}: ${(s.ms / 1000).toFixed(1)} s`);
  expect(result.ok).toBe(true);
  expect(result.boots.map((b) => `${b.firmware}/${b.medium}`)).toEqual([
    'bios/disk',
    'uefi/disk',
    'uefi-secureboot/disk',
    'bios/disk-usb',
    'uefi/disk-usb',
    'uefi-secureboot/disk-usb',
    'bios/9p',
  ]);
  // The second boot of each firmware found what the first wrote: the user's copy is writable.
  expect(result.boots.map((b) => b.persistence)).toEqual([
    'written',
    'written',
    'written',
    'found',
    'found',
    'found',
    undefined,
  ]);
  for (const boot of result.boots) {
    // The maintainer scripts ran: the profile's checks need base-passwd's users and systemd's setup.
    expect(
      boot.commands.map((c) => [c.run, c.ok]),
      `${boot.firmware}/${boot.medium}`,
    ).toEqual([
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
  expect(await foreignOwned(join(mine, '..'))).toEqual([]);

  if (user.prefix.length === 0) return; // not root: no root build to compare with
  const { work, profile } = await copyExample('debian-live');
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  await withOwnedScript(profile);
  const root = await distroforge<BuildResult>(['build', profile]);
  console.log(
    `debian-live ISO/disk/SBOMs as root: ${JSON.stringify(digests(root))}, as ${user.name}: ${JSON.stringify(digests(result.build))}`,
  );
  expect(digests(result.build)).toEqual(digests(root));
  expect(Object.keys(digests(root)).sort()).toEqual(['cyclonedx', 'disk', 'iso', 'spdx']);
});

it('rocky-live: RPM scriptlets in a user namespace, booted under BIOS and UEFI from CD-ROM and disk by an ordinary user, the bytes of a root build', {
  timeout: 1_200_000,
}, async () => {
  const rpms = (await generateRpmTestRepo(join(repo, '.cache', 'rpm-test-repo', 'repo'))).dir;
  // The profile's own source location (./rpms), a copy the user can read wherever the checkout is.
  const withRpms = async (profile: string) => {
    await cp(rpms, join(profile, 'rpms'), { recursive: true });
    return profile;
  };
  const mine = await userCopy('rocky-live');
  await withRpms(mine);
  if (user.prefix.length > 0) await execa('chown', ['-R', `${user.uid}:${user.gid}`, join(mine, 'rpms')]);
  // Built and boot-tested by the user: CD-ROM and disk (persistence chained), BIOS and UEFI.
  const tested = await asUser<TestResult>(['test', mine, '--jobs', '2']);
  expect(tested.ok).toBe(true);
  expect(tested.boots.map((b) => `${b.firmware}/${b.medium}:${b.ok}`)).toEqual([
    'bios/cdrom:true',
    'uefi/cdrom:true',
    'bios/disk:true',
    'uefi/disk:true',
    'bios/disk-usb:true',
    'uefi/disk-usb:true',
  ]);
  const ordinary = tested.build;
  expect(await foreignOwned(join(mine, '..'))).toEqual([]);
  if (user.prefix.length === 0) return;
  const { work, profile } = await copyExample('rocky-live');
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  const root = await distroforge<BuildResult>(['build', await withRpms(profile)]);
  console.log(
    `rocky-live ISO/disk/SBOMs as root: ${JSON.stringify(digests(root))}, as ${user.name}: ${JSON.stringify(digests(ordinary))}`,
  );
  expect(digests(ordinary)).toEqual(digests(root));
  expect(Object.keys(digests(root)).sort()).toEqual(['cyclonedx', 'disk', 'iso', 'spdx']);
});

it('Ctrl-C while the maintainer scripts run leaves nothing the user cannot remove', { timeout: 900_000 }, async () => {
  const mine = await userCopy('debian-live');
  // A package whose postinst leaves what only the namespace could remove (a private directory of
  // uid 5 holding a file) and then waits: the interrupt lands while it runs.
  const pkg = join(mine, 'pkgs', 'df-slow');
  await mkdir(join(pkg, 'DEBIAN'), { recursive: true });
  await writeFile(
    join(pkg, 'DEBIAN', 'control'),
    'Package: df-slow\nVersion: 1.0\nArchitecture: all\nMaintainer: distroforge tests <tests@example.invalid>\nDescription: postinst that makes a private directory and waits\n',
  );
  await writeFile(
    join(pkg, 'DEBIAN', 'postinst'),
    '#!/bin/sh\nset -e\nmkdir -p /var/lib/df-slow\necho x > /var/lib/df-slow/file\nchown -R 5:5 /var/lib/df-slow\nchmod 0700 /var/lib/df-slow\nsleep 300\n',
    { mode: 0o755 },
  );
  await execa('dpkg-deb', ['--root-owner-group', '--build', pkg, join(mine, 'pkgs', 'df-slow.deb')]);
  await rm(pkg, { recursive: true });
  const profileFile = join(mine, 'profile.yaml');
  await writeFile(profileFile, `${await readFile(profileFile, 'utf8')}\nextraPackageFiles:\n  - pkgs/df-slow.deb\n`);
  if (user.prefix.length > 0) await execa('chown', ['-R', `${user.uid}:${user.gid}`, mine]);

  const command = userCommand(['build', mine]);
  // unshare, sh and setpriv exec into node: the signal reaches distroforge itself.
  const child = execa(command[0]!, command.slice(1), { reject: false, cwd: '/' });
  const stages = join(mine, '.distroforge', 'stages');
  const made = async () =>
    (await execa('find', [stages, '-path', '*/var/lib/df-slow/file'], { reject: false })).stdout.trim() !== '';
  const deadline = Date.now() + 600_000;
  while (!(await made())) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(
        `the build ended before the postinst ran:\n${String((await child).stderr)
          .split('\n')
          .slice(-10)
          .join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill('SIGINT');
  const run = await child;
  expect(run.exitCode).not.toBe(0);
  expect(await foreignOwned(join(mine, '..'))).toEqual([]);
  // Nothing was published, and the stage left no partial tree behind.
  expect(await made()).toBe(false);
});

it("clean reclaims what a killed run left owned by ids of the user's range (a 9p share tree), then removes it", {
  timeout: 300_000,
}, async () => {
  if (user.prefix.length === 0) return; // only root can forge a file of the user's subordinate range
  const mine = await userCopy('debian-live');
  const share = join(mine, '.distroforge', 'stages', 'overlay', '.9p-share-999999');
  await mkdir(join(share, 'home', 'live'), { recursive: true });
  await writeFile(join(share, 'home', 'live', '.profile'), 'x\n');
  await execa('chown', ['-R', `${user.uid}:${user.gid}`, join(mine, '.distroforge')]);
  const subuid = Number(
    (await readFile('/etc/subuid', 'utf8'))
      .split('\n')
      .find((l) => l.startsWith(`${user.name}:`))!
      .split(':')[1],
  );
  // What the guest's live user owned inside the namespace: id 1000 of the range, a private home.
  await execa('chown', ['-R', `${subuid + 1000}:${subuid + 1000}`, join(share, 'home')]);
  await chmod(join(share, 'home', 'live'), 0o700);
  const command = userCommand(['clean', mine]);
  const run = await execa(command[0]!, command.slice(1), { reject: false, cwd: '/' });
  expect(run.exitCode, String(run.stderr)).toBe(0);
  expect((await execa('test', ['-e', join(mine, '.distroforge')], { reject: false })).exitCode).toBe(1);
});
