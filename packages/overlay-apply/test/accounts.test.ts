import { emptyManifest, manifestLookup, type Manifest } from '@distroforge/core';
import { execa } from 'execa';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyProfile, type ApplyProfileOptions } from '../src/index.js';
import { group, gshadow, makeFixtureRoot, passwd, shadow, snapshot } from './fixture-root.js';

const epoch = 1_700_000_000; // 2023-11-14 -> day 19675
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function root(): Promise<string> {
  const dir = await makeFixtureRoot();
  roots.push(dir);
  return dir;
}

const read = (dir: string, path: string) => readFile(join(dir, path), 'utf8');
const apply = (dir: string, options: Partial<ApplyProfileOptions>, manifest: Manifest = emptyManifest()) =>
  applyProfile({ root: dir, manifest, machineId: 'keep', sourceDateEpoch: epoch, ...options });

const alice = { name: 'alice', groups: ['kvm', 'libvirt', 'sudo'], password: { plain: 'live' } };

describe('users and groups', () => {
  it('adds a user with a private group, supplementary groups and a home it owns (in the manifest only)', async () => {
    const dir = await root();
    const { manifest } = await apply(dir, { users: [alice] });
    expect(await read(dir, 'etc/passwd')).toBe(`${passwd}alice:x:1000:1000::/home/alice:/bin/bash\n`);
    // Existing lines untouched; sudo gets a member; kvm and libvirt are new system groups from 999 down (999, 998 taken).
    expect(await read(dir, 'etc/group')).toBe(
      group.replace('sudo:x:27:\n', 'sudo:x:27:alice\n') + 'alice:x:1000:\nkvm:x:997:alice\nlibvirt:x:996:alice\n',
    );
    expect(await read(dir, 'etc/gshadow')).toBe(
      gshadow.replace('sudo:*::\n', 'sudo:*::alice\n') + 'alice:!::\nkvm:!::alice\nlibvirt:!::alice\n',
    );
    const shadowLines = (await read(dir, 'etc/shadow')).split('\n');
    expect(shadowLines.slice(0, -2).join('\n') + '\n').toBe(shadow);
    const aliceShadow = shadowLines.at(-2)?.split(':') ?? [];
    expect(aliceShadow[0]).toBe('alice');
    expect(aliceShadow.slice(2)).toEqual(['19675', '0', '99999', '7', '', '', '']);
    // The hash is a real SHA-512 crypt of "live": glibc's crypt(3) agrees.
    const hash = aliceShadow[1] ?? '';
    expect(hash).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    const { stdout } = await execa('python3', [
      '-W',
      'ignore',
      '-c',
      'import crypt,sys; print(crypt.crypt("live", sys.argv[1]))',
      hash,
    ]);
    expect(stdout.trim()).toBe(hash);

    const entry = manifestLookup(manifest);
    expect(entry('/home/alice')).toEqual({ path: '/home/alice', type: 'dir', uid: 1000, gid: 1000, mode: 0o700 });
    expect(entry('/home/alice/.bashrc')).toMatchObject({ uid: 1000, gid: 1000, mode: 0o644 });
    expect(entry('/home/alice/.config/placeholder')).toMatchObject({ uid: 1000, gid: 1000 });
    expect(entry('/etc/shadow')).toEqual({ path: '/etc/shadow', type: 'file', uid: 0, gid: 42, mode: 0o640 });
    expect(entry('/etc/gshadow')).toMatchObject({ uid: 0, gid: 42, mode: 0o640 });
    expect(entry('/etc/passwd')).toMatchObject({ uid: 0, gid: 0, mode: 0o644 });
    expect(await read(dir, 'home/alice/.bashrc')).toContain('~/.bashrc');
    // Non-root: nothing was chowned; the disk keeps the test user's ownership.
    const onDisk = await stat(join(dir, 'home/alice'));
    expect(onDisk.uid).toBe(process.getuid?.());
    expect(onDisk.uid).not.toBe(1000);
    expect(onDisk.mode & 0o777).toBe(0o700);
  });

  it('is idempotent: the same declaration again changes no byte and reports nothing', async () => {
    const dir = await root();
    const first = await apply(dir, { users: [alice], groups: [{ name: 'libvirt' }] });
    const before = await snapshot(dir);
    const second = await apply(dir, { users: [alice], groups: [{ name: 'libvirt' }] }, first.manifest);
    expect(second.changes).toEqual([]);
    expect(await snapshot(dir)).toEqual(before);
    expect(second.manifest).toEqual(first.manifest);
    // Even with another SOURCE_DATE_EPOCH, a plain password that still matches is kept.
    const third = await applyProfile({
      root: dir,
      manifest: first.manifest,
      machineId: 'keep',
      sourceDateEpoch: epoch + 86400 * 3,
      users: [alice],
    });
    expect(third.changes).toEqual([]);
  });

  it('copies /etc/skel only into a home it creates (useradd -m), but owns an existing /home tree', async () => {
    const dir = await root();
    await writeFile(join(dir, 'etc/passwd'), `${passwd}erin:x:1001:1001::/home/erin:/bin/bash\n`);
    await mkdir(join(dir, 'home/erin'), { recursive: true });
    await writeFile(join(dir, 'home/erin/notes'), 'mine');
    const { manifest } = await apply(dir, { users: [{ name: 'erin', groups: ['kvm'] }] });
    await expect(stat(join(dir, 'home/erin/.bashrc'))).rejects.toThrow();
    expect(manifestLookup(manifest)('/home/erin/notes')).toMatchObject({ uid: 1001, gid: 1001, mode: 0o644 });
    expect(await read(dir, 'etc/passwd')).toContain('erin:x:1001:1001::/home/erin:/bin/bash\n');
  });

  it('derives the salt deterministically: two fresh roots get the same hash', async () => {
    const [a, b] = [await root(), await root()];
    await apply(a, { users: [alice] });
    await apply(b, { users: [alice] });
    expect(await read(a, 'etc/shadow')).toBe(await read(b, 'etc/shadow'));
  });

  it('allocates ids deterministically: system users from the top of 100-999, normal users from 1000', async () => {
    const dir = await root();
    await writeFile(join(dir, 'etc/login.defs'), 'UID_MIN 2000\nGID_MIN 2000\nSYS_UID_MAX 500\nSYS_GID_MAX 500\n');
    await apply(dir, {
      users: [
        { name: 'svc', system: true },
        { name: 'bob', uid: 1500, shell: '/bin/sh', gecos: 'Bob,,,' },
        { name: 'carol', group: 'users', homeMode: '0755' },
      ],
      groups: [{ name: 'builders', system: false }],
    });
    const lines = (await read(dir, 'etc/passwd')).split('\n');
    expect(lines).toContain('svc:x:500:500::/nonexistent:/usr/sbin/nologin');
    expect(lines).toContain('bob:x:1500:1500:Bob,,,:/home/bob:/bin/sh');
    expect(lines).toContain('carol:x:2000:100::/home/carol:/bin/bash');
    expect(await read(dir, 'etc/group')).toContain('builders:x:2000:\nsvc:x:500:\nbob:x:1500:\n');
    expect((await stat(join(dir, 'home/carol'))).mode & 0o777).toBe(0o755);
    await expect(stat(join(dir, 'nonexistent'))).rejects.toThrow();
  });

  it('updates an existing user in place: root gets a given hash, locking adds "!"', async () => {
    const dir = await root();
    const hash = '$6$abc$K4v3HcZ8yAmpRfxML6S46NCcqy9r4/KdbQpFvqSWsBf4dgySOEOo1DHJTrmn2BsJK2aNmPN8Tfb826D2o9.z51';
    const { manifest } = await apply(dir, {
      users: [
        { name: 'root', password: { hash } },
        { name: 'daemon', locked: true },
      ],
    });
    // Existing accounts' homes (/root, daemon's /usr/sbin) are not taken over.
    expect(manifest.entries.filter((e) => e.path.startsWith('/usr') || e.path.startsWith('/root'))).toEqual([]);
    const lines = (await read(dir, 'etc/shadow')).split('\n');
    expect(lines[0]).toBe(`root:${hash}:19675:0:99999:7:::`);
    expect(lines[1]).toBe('daemon:!*:19675:0:99999:7:::');
    expect(await read(dir, 'etc/passwd')).toBe(passwd);
    expect(await read(dir, 'etc/group')).toBe(group);
  });

  it('uses a given salt and rounds, matching openssl/glibc', async () => {
    const dir = await root();
    await apply(dir, { users: [{ name: 'dave', password: { plain: 'pw', salt: 'fixedsalt' } }] });
    const { stdout } = await execa('openssl', ['passwd', '-6', '-salt', 'fixedsalt', 'pw']);
    expect((await read(dir, 'etc/shadow')).split('\n').at(-2)?.split(':')[1]).toBe(stdout.trim());
  });

  it('refuses conflicting ids and unknown primary groups with typed errors', async () => {
    const dir = await root();
    await expect(apply(dir, { users: [{ name: 'root', uid: 5 }] })).rejects.toMatchObject({
      code: 'ERR_ACCOUNT_CONFLICT',
      value: 'root',
    });
    await expect(apply(dir, { users: [{ name: 'eve', uid: 33 }] })).rejects.toMatchObject({
      code: 'ERR_ACCOUNT_CONFLICT',
      value: 33,
    });
    await expect(apply(dir, { groups: [{ name: 'sudo', gid: 28 }] })).rejects.toMatchObject({
      code: 'ERR_ACCOUNT_CONFLICT',
    });
    await expect(apply(dir, { users: [{ name: 'eve', group: 'nope' }] })).rejects.toMatchObject({
      code: 'ERR_ACCOUNT_UNKNOWN',
      value: 'nope',
    });
    // Nothing was written by the failed attempts, not even the other settings of the same profile.
    const before = await snapshot(dir);
    await expect(apply(dir, { hostname: 'h', motd: 'm\n', users: [{ name: 'eve', uid: 33 }] })).rejects.toMatchObject({
      code: 'ERR_ACCOUNT_CONFLICT',
    });
    expect(await snapshot(dir)).toEqual(before);
    expect(await read(dir, 'etc/passwd')).toBe(passwd);
  });

  it('rejects bad declarations naming the key path', async () => {
    const dir = await root();
    await expect(apply(dir, { users: [{ name: 'ok' }, { name: 'Bad Name' }] })).rejects.toMatchObject({
      code: 'ERR_OVERLAY_OPTIONS_INVALID',
      value: 'users.1.name',
    });
    await expect(apply(dir, { users: [{ name: 'x', homeMode: '700x' }] })).rejects.toMatchObject({
      value: 'users.0.homeMode',
    });
    await expect(apply(dir, { users: [{ name: 'x', password: { plain: 'a', salt: 'bad$' } }] })).rejects.toMatchObject({
      code: 'ERR_OVERLAY_OPTIONS_INVALID',
    });
  });
});
