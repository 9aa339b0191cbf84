import { emptyManifest, manifestLookup } from '@distroforge/core';
import { execa } from 'execa';
import { chmod, link, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyOverlay } from '../src/index.js';
import { makeFixtureRoot, snapshot } from './fixture-root.js';

const epoch = 1_700_000_000;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function fixture(): Promise<{ root: string; overlay: string }> {
  const root = await makeFixtureRoot();
  const overlay = await mkdtemp(join(tmpdir(), 'overlay-apply-airootfs-'));
  dirs.push(root, overlay);
  return { root, overlay };
}

async function put(dir: string, path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
  await chmod(join(dir, path), mode);
}

describe('applyOverlay', () => {
  it('keeps the overlay modes, symlinks and hard links, and records root ownership in the manifest', async () => {
    const { root, overlay } = await fixture();
    await put(overlay, 'usr/local/bin/launch-macos.sh', '#!/bin/sh\necho hi\n', 0o750);
    await put(overlay, 'etc/sysctl.d/99-macpro.conf', 'kernel.sysrq = 1\n', 0o600);
    await put(overlay, 'usr/local/bin/setuid-tool', 'x', 0o4755);
    await mkdir(join(overlay, 'srv/private'), { recursive: true });
    await chmod(join(overlay, 'srv/private'), 0o710);
    await symlink('launch-macos.sh', join(overlay, 'usr/local/bin/launch'));
    await symlink('/nonexistent/absolute', join(overlay, 'etc/dangling'));
    await link(join(overlay, 'usr/local/bin/launch-macos.sh'), join(overlay, 'usr/local/bin/launch-hard'));

    const { manifest, changes } = await applyOverlay({
      root,
      overlay,
      manifest: emptyManifest(),
      sourceDateEpoch: epoch,
    });
    const entry = manifestLookup(manifest);
    expect((await stat(join(root, 'usr/local/bin/launch-macos.sh'))).mode & 0o7777).toBe(0o750);
    expect((await stat(join(root, 'usr/local/bin/setuid-tool'))).mode & 0o7777).toBe(0o4755);
    expect((await stat(join(root, 'srv/private'))).mode & 0o7777).toBe(0o710);
    expect(await readlink(join(root, 'usr/local/bin/launch'))).toBe('launch-macos.sh');
    expect(await readlink(join(root, 'etc/dangling'))).toBe('/nonexistent/absolute');
    const [a, b] = await Promise.all([
      stat(join(root, 'usr/local/bin/launch-macos.sh')),
      stat(join(root, 'usr/local/bin/launch-hard')),
    ]);
    expect(b.ino).toBe(a.ino);
    expect(entry('/usr/local/bin/launch-macos.sh')).toEqual({
      path: '/usr/local/bin/launch-macos.sh',
      type: 'file',
      uid: 0,
      gid: 0,
      mode: 0o750,
    });
    expect(entry('/usr/local/bin/setuid-tool')).toMatchObject({ mode: 0o4755 });
    expect(entry('/etc/sysctl.d/99-macpro.conf')).toMatchObject({ uid: 0, gid: 0, mode: 0o600 });
    expect(entry('/srv/private')).toEqual({ path: '/srv/private', type: 'dir', uid: 0, gid: 0, mode: 0o710 });
    expect(entry('/usr/local/bin/launch')).toMatchObject({ type: 'symlink', uid: 0, gid: 0 });
    expect(entry('/etc')).toBeUndefined(); // existing directories keep what they had
    expect(changes).toContainEqual({ path: '/usr/local/bin/launch-macos.sh', action: 'created' });
    expect((await stat(join(root, 'usr/local/bin/launch-macos.sh'))).mtimeMs).toBe(epoch * 1000);
    // The host kept its own ownership: nothing was chowned.
    expect((await stat(join(root, 'usr/local/bin/setuid-tool'))).uid).toBe(process.getuid?.());
  });

  it('replaces a symlink of the root instead of writing through it (/etc/resolv.conf -> ../run/...)', async () => {
    const { root, overlay } = await fixture();
    await put(overlay, 'etc/resolv.conf', 'nameserver 9.9.9.9\n');
    const { changes } = await applyOverlay({ root, overlay, manifest: emptyManifest() });
    expect((await lstat(join(root, 'etc/resolv.conf'))).isFile()).toBe(true);
    expect(await readFile(join(root, 'etc/resolv.conf'), 'utf8')).toBe('nameserver 9.9.9.9\n');
    expect(await readFile(join(root, 'run/systemd/resolve/stub-resolv.conf'), 'utf8')).toBe('nameserver 127.0.0.53\n');
    expect(changes).toContainEqual({ path: '/etc/resolv.conf', action: 'replaced' });
  });

  it('follows in-root directory symlinks (merged /usr): lib/systemd/system lands in /usr/lib', async () => {
    const { root, overlay } = await fixture();
    await put(overlay, 'lib/systemd/system/hello.service', '[Service]\nExecStart=/bin/true\n');
    const { manifest } = await applyOverlay({ root, overlay, manifest: emptyManifest() });
    expect((await lstat(join(root, 'lib'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(root, 'usr/lib/systemd/system/hello.service'), 'utf8')).toContain('ExecStart');
    expect(manifestLookup(manifest)('/usr/lib/systemd/system/hello.service')).toMatchObject({ uid: 0, mode: 0o644 });
  });

  it('resolves absolute symlinks of the root inside the root, never on the host', async () => {
    const { root, overlay } = await fixture();
    const outside = await mkdtemp(join(tmpdir(), 'overlay-apply-outside-'));
    dirs.push(outside);
    await mkdir(join(root, 'data'));
    await symlink(outside, join(root, 'srv')); // absolute: means <root>/<outside>, not the host's directory
    await put(overlay, 'srv/file', 'x');
    await applyOverlay({ root, overlay, manifest: emptyManifest() });
    expect(await readFile(join(root, outside, 'file'), 'utf8')).toBe('x');
    await expect(stat(join(outside, 'file'))).rejects.toThrow();
  });

  it('refuses a relative symlink that climbs out of the root, writing nothing outside', async () => {
    const { root, overlay } = await fixture();
    const outside = await mkdtemp(join(tmpdir(), 'overlay-apply-outside-'));
    dirs.push(outside);
    await symlink(`../../../../../../../../..${outside}`, join(root, 'etc/evil'));
    await put(overlay, 'etc/evil/payload', 'x');
    await expect(applyOverlay({ root, overlay, manifest: emptyManifest() })).rejects.toMatchObject({
      code: 'ERR_OVERLAY_PATH_ESCAPE',
    });
    await expect(stat(join(outside, 'payload'))).rejects.toThrow();
  });

  it('applies a permissions map (names resolved in the root, recursive for directories) to the manifest only', async () => {
    const { root, overlay } = await fixture();
    await put(overlay, 'etc/secret/key', 'k');
    await put(overlay, 'etc/secret/sub/more', 'm');
    await put(overlay, 'root/.ssh/authorized_keys', 'ssh-ed25519 AAAA');
    const { manifest } = await applyOverlay({
      root,
      overlay,
      manifest: emptyManifest(),
      permissions: {
        '/etc/secret': '0:shadow:0750',
        '/root/.ssh/authorized_keys': 'root:root:0600',
        '/etc/shadow': '0:42:0640',
      },
    });
    const entry = manifestLookup(manifest);
    expect(entry('/etc/secret')).toMatchObject({ uid: 0, gid: 42, mode: 0o750 });
    expect(entry('/etc/secret/key')).toMatchObject({ uid: 0, gid: 42, mode: 0o750 });
    expect(entry('/etc/secret/sub/more')).toMatchObject({ uid: 0, gid: 42, mode: 0o750 });
    expect(entry('/root/.ssh/authorized_keys')).toMatchObject({ uid: 0, gid: 0, mode: 0o600 });
    expect(entry('/etc/shadow')).toEqual({ path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 });
    expect((await stat(join(root, 'etc/secret/key'))).mode & 0o777).toBe(0o644);
    await expect(
      applyOverlay({ root, overlay, manifest: emptyManifest(), permissions: { '/etc/secret': 'nobody:nope:0750' } }),
    ).rejects.toMatchObject({
      code: 'ERR_OVERLAY_OPTIONS_INVALID',
      value: 'permissions./etc/secret',
    });
    await expect(
      applyOverlay({ root, overlay, manifest: emptyManifest(), permissions: { '/not/there': '0:0:0644' } }),
    ).rejects.toMatchObject({
      code: 'ERR_OVERLAY_PERMISSION_TARGET_MISSING',
    });
  });

  it('is idempotent and does not mutate the caller manifest', async () => {
    const { root, overlay } = await fixture();
    await put(overlay, 'etc/motd', 'hello\n');
    await symlink('motd', join(overlay, 'etc/motd.link'));
    const input = emptyManifest();
    const first = await applyOverlay({ root, overlay, manifest: input, sourceDateEpoch: epoch });
    expect(input).toEqual(emptyManifest());
    const before = await snapshot(root);
    const second = await applyOverlay({ root, overlay, manifest: first.manifest, sourceDateEpoch: epoch });
    expect(second.changes).toEqual([]);
    expect(second.manifest).toEqual(first.manifest);
    expect(await snapshot(root)).toEqual(before);
  });

  it('rejects fifos in the overlay and a missing overlay or root', async () => {
    const { root, overlay } = await fixture();
    await execa('mkfifo', [join(overlay, 'pipe')]);
    await expect(applyOverlay({ root, overlay, manifest: emptyManifest() })).rejects.toMatchObject({
      code: 'ERR_OVERLAY_UNSUPPORTED_FILE',
    });
    await expect(
      applyOverlay({ root, overlay: join(overlay, 'nope'), manifest: emptyManifest() }),
    ).rejects.toMatchObject({ code: 'ERR_OVERLAY_SOURCE_MISSING' });
    await expect(applyOverlay({ root: join(root, 'nope'), overlay, manifest: emptyManifest() })).rejects.toMatchObject({
      code: 'ERR_OVERLAY_ROOT_MISSING',
    });
  });
});
