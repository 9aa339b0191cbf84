import { emptyManifest, manifestLookup } from '@distroforge/core';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyProfile, checkProfile, type ApplyProfileOptions } from '../src/index.js';
import { makeFixtureRoot, snapshot, unitLinks } from './fixture-root.js';

// The acceptance profile: hostname, a user in kvm with its own home, a service unit of the
// overlay enabled, autologin root on ttyS0 — plus the Mac Pro seed's sysctl and kvm options.
let overlay: string;
const cleanup: string[] = [];
const profile = (root: string): ApplyProfileOptions => ({
  root,
  manifest: emptyManifest(),
  overlay,
  sourceDateEpoch: 1_700_000_000,
  hostname: 'forge-live',
  users: [{ name: 'forge', groups: ['kvm', 'libvirt'], password: { plain: 'forge' } }],
  services: { enable: ['hello.service'], defaultTarget: 'multi-user.target' },
  autologin: { user: 'root', consoles: ['ttyS0'], enable: true },
  sysctl: { 'kernel.sysrq': 1 },
  moduleOptions: { kvm: { ignore_msrs: 1 } },
  permissions: { '/usr/local/bin/hello': '0:0:0755' },
});

beforeAll(async () => {
  overlay = await mkdtemp(join(tmpdir(), 'overlay-apply-airootfs-'));
  cleanup.push(overlay);
  await mkdir(join(overlay, 'etc/systemd/system'), { recursive: true });
  await mkdir(join(overlay, 'usr/local/bin'), { recursive: true });
  await writeFile(
    join(overlay, 'etc/systemd/system/hello.service'),
    '[Unit]\nDescription=Say hello\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/local/bin/hello\n\n[Install]\nWantedBy=multi-user.target\n',
  );
  await writeFile(join(overlay, 'usr/local/bin/hello'), '#!/bin/sh\necho hello from the overlay\n');
  await chmod(join(overlay, 'usr/local/bin/hello'), 0o700);
});
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

async function root(): Promise<string> {
  const dir = await makeFixtureRoot();
  cleanup.push(dir);
  return dir;
}

const withoutTimes = (snap: Record<string, string>) =>
  Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, v.replace(/ [\d.]+$/, '')]));

describe('applyProfile', () => {
  it('applies the acceptance profile', async () => {
    const dir = await root();
    const { manifest, changes, warnings } = await applyProfile(profile(dir));
    const entry = manifestLookup(manifest);
    expect(await readFile(join(dir, 'etc/hostname'), 'utf8')).toBe('forge-live\n');
    expect(await readFile(join(dir, 'etc/passwd'), 'utf8')).toContain('\nforge:x:1000:1000::/home/forge:/bin/bash\n');
    expect(await readFile(join(dir, 'etc/group'), 'utf8')).toContain('\nkvm:x:997:forge\nlibvirt:x:996:forge\n');
    expect(entry('/home/forge')).toMatchObject({ uid: 1000, gid: 1000, mode: 0o700 });
    expect(await unitLinks(dir)).toEqual([
      '/default.target -> /lib/systemd/system/multi-user.target',
      '/getty.target.wants/serial-getty@ttyS0.service -> /lib/systemd/system/serial-getty@.service',
      '/multi-user.target.wants/hello.service -> /etc/systemd/system/hello.service',
      '/systemd-firstboot.service -> /dev/null',
    ]);
    expect(
      await readFile(join(dir, 'etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf'), 'utf8'),
    ).toContain('--autologin root');
    expect(await readFile(join(dir, 'etc/modprobe.d/distroforge.conf'), 'utf8')).toContain(
      'options kvm ignore_msrs=1\n',
    );
    // The permissions map wins over the overlay's own mode, in the manifest; the disk keeps 0700.
    expect(entry('/usr/local/bin/hello')).toMatchObject({ uid: 0, gid: 0, mode: 0o755 });
    expect((await stat(join(dir, 'usr/local/bin/hello'))).mode & 0o777).toBe(0o700);
    expect(warnings).toEqual([]);
    expect(changes).toContainEqual({ path: '/etc/hostname', action: 'created' });
    expect(changes).toContainEqual({ path: '/etc/passwd', action: 'updated' });
    expect(new Set(changes.map((c) => c.path)).size).toBe(changes.length);
  });

  it('applying twice is a no-op: no changes, same bytes, same manifest', async () => {
    const dir = await root();
    const first = await applyProfile(profile(dir));
    const before = await snapshot(dir);
    const second = await applyProfile({ ...profile(dir), manifest: first.manifest });
    expect(second.changes).toEqual([]);
    expect(second.manifest).toEqual(first.manifest);
    expect(await snapshot(dir)).toEqual(before);
    // A manifest written by hand with another key order is the same manifest.
    const reordered = {
      ...first.manifest,
      entries: first.manifest.entries.map((e) => Object.fromEntries(Object.entries(e).reverse()) as typeof e),
    };
    expect((await applyProfile({ ...profile(dir), manifest: reordered })).changes).toEqual([]);
  });

  it('is deterministic: two fresh roots end up with the same tree and manifest', async () => {
    const [a, b] = [await root(), await root()];
    const [ra, rb] = [await applyProfile(profile(a)), await applyProfile(profile(b))];
    expect(ra.manifest).toEqual(rb.manifest);
    expect(ra.changes).toEqual(rb.changes);
    expect(withoutTimes(await snapshot(a))).toEqual(withoutTimes(await snapshot(b)));
  });

  it('never chowns: everything on disk belongs to the user running it', async () => {
    const dir = await root();
    await applyProfile(profile(dir));
    const snap = await snapshot(dir);
    const uid = process.getuid?.();
    for (const path of Object.keys(snap)) {
      const { uid: owner } = await lstat(join(dir, path));
      expect(owner, path).toBe(uid);
    }
  });

  it('an unknown unit or zone is refused before anything is written', async () => {
    const dir = await root();
    const before = await snapshot(dir);
    await expect(applyProfile({ ...profile(dir), timezone: 'Nowhere/City' })).rejects.toMatchObject({
      code: 'ERR_TIMEZONE_UNKNOWN',
    });
    await expect(
      applyProfile({ ...profile(dir), services: { enable: ['hello.service', 'libvirtd.service'] } }),
    ).rejects.toMatchObject({
      code: 'ERR_UNIT_UNKNOWN',
      value: 'libvirtd.service',
    });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('checkProfile refuses what applyProfile would, writing nothing, and passes a good profile without applying it', async () => {
    const dir = await root();
    const before = await snapshot(dir);
    await expect(checkProfile({ ...profile(dir), services: { enable: ['libvirtd.service'] } })).rejects.toMatchObject({
      code: 'ERR_UNIT_UNKNOWN',
      value: 'libvirtd.service',
    });
    await expect(checkProfile({ ...profile(dir), timezone: 'Nowhere/City' })).rejects.toMatchObject({
      code: 'ERR_TIMEZONE_UNKNOWN',
    });
    await expect(
      checkProfile({ ...profile(dir), autologin: { user: 'nobody-here', consoles: ['ttyS0'], enable: true } }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_/) });
    await expect(checkProfile(profile(dir))).resolves.toBeUndefined();
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('an archiso-style overlay that ships its own /etc/passwd', () => {
  it('is what the declared users are checked and added against', async () => {
    const dir = await root();
    const own = await mkdtemp(join(tmpdir(), 'overlay-apply-airootfs-'));
    cleanup.push(own);
    await mkdir(join(own, 'etc'));
    const shipped = 'root:x:0:0:root:/root:/usr/bin/zsh\narch:x:1000:1000::/home/arch:/usr/bin/zsh\n';
    await writeFile(join(own, 'etc/passwd'), shipped);
    const { changes } = await applyProfile({
      root: dir,
      manifest: emptyManifest(),
      overlay: own,
      machineId: 'keep',
      users: [{ name: 'arch', uid: 1000 }, { name: 'bob' }],
    });
    expect(await readFile(join(dir, 'etc/passwd'), 'utf8')).toBe(`${shipped}bob:x:1001:1001::/home/bob:/bin/bash\n`);
    expect(changes).toContainEqual({ path: '/etc/passwd', action: 'updated' });
    await expect(
      applyProfile({
        root: dir,
        manifest: emptyManifest(),
        overlay: own,
        machineId: 'keep',
        users: [{ name: 'arch', uid: 1001 }],
      }),
    ).rejects.toMatchObject({ code: 'ERR_ACCOUNT_CONFLICT', value: 'arch' });
  });
});

describe("on the host's own Debian account files", () => {
  it('keeps every real passwd/group line and login.defs ranges, appending ours', async () => {
    const dir = await makeFixtureRoot();
    cleanup.push(dir);
    const hostFiles = ['passwd', 'group', 'login.defs'];
    const original: Record<string, string> = {};
    for (const name of hostFiles) {
      original[name] = await readFile(`/etc/${name}`, 'utf8');
      await writeFile(join(dir, 'etc', name), original[name] as string);
    }
    const { changes } = await applyProfile({
      root: dir,
      manifest: emptyManifest(),
      machineId: 'keep',
      users: [{ name: 'zz-forge-test', groups: ['kvm'] }],
    });
    const passwd = await readFile(join(dir, 'etc/passwd'), 'utf8');
    expect(passwd.startsWith(original.passwd as string)).toBe(true);
    expect(passwd.slice((original.passwd as string).length)).toMatch(
      /^zz-forge-test:x:\d+:\d+::\/home\/zz-forge-test:\/bin\/bash\n$/,
    );
    const groupText = await readFile(join(dir, 'etc/group'), 'utf8');
    const kvmLine = (original.group as string).split('\n').find((l) => l.startsWith('kvm:'));
    if (kvmLine === undefined) expect(groupText).toMatch(/\nkvm:x:\d+:zz-forge-test\n/);
    else expect(groupText).toContain(`${kvmLine}${kvmLine.endsWith(':') ? '' : ','}zz-forge-test\n`);
    expect(changes).toContainEqual({ path: '/etc/passwd', action: 'updated' });
  });
});
