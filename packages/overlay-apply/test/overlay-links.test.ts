// Hostile trees around symlinks: whatever the root or the overlay holds, nothing outside the root
// is written, chmodded or replaced. A sentinel directory outside the root (a file 0600 inside it)
// is compared byte for byte, mode and mtime included, after each apply. Meant to run as root,
// where permissions would not stop a write through a symlink.
import { emptyManifest, manifestLookup } from '@distroforge/core';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyOverlay, applyProfile } from '../src/index.js';
import { makeFixtureRoot, snapshot } from './fixture-root.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function temp(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A root, an overlay and a host directory outside both holding `sentinel` (0600) and `sub/` (0700). */
async function fixture(): Promise<{ root: string; overlay: string; outside: string; untouched: () => Promise<void> }> {
  const root = await makeFixtureRoot();
  dirs.push(root);
  const overlay = await temp('overlay-apply-airootfs-');
  const outside = await temp('overlay-apply-host-');
  await writeFile(join(outside, 'sentinel'), 'host data\n', { mode: 0o600 });
  await mkdir(join(outside, 'sub'), { mode: 0o700 });
  const before = { tree: await snapshot(outside), mode: (await lstat(outside)).mode };
  const untouched = async () => {
    expect(await snapshot(outside)).toEqual(before.tree);
    expect((await lstat(outside)).mode).toBe(before.mode);
  };
  return { root, overlay, outside, untouched };
}

async function put(dir: string, path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
  await chmod(join(dir, path), mode);
}

/** `../` enough times to climb from `<root>/etc` to the host's `/`, then `target` (absolute). */
const climbing = (target: string) => `${'../'.repeat(20)}${target.slice(1)}`;

describe('overlay and symlinks: never outside the root', () => {
  it('an overlay directory under a root symlink to an absolute host directory is created inside the root', async () => {
    const { root, overlay, outside, untouched } = await fixture();
    await symlink(outside, join(root, 'etc/foo')); // a package's absolute link: means <root><outside>
    await symlink(join(outside, 'sub'), join(root, 'etc/bar'));
    await put(overlay, 'etc/foo/sentinel', 'overlay data\n', 0o755);
    await put(overlay, 'etc/bar/new', 'x');
    const { manifest } = await applyOverlay({ root, overlay, manifest: emptyManifest() });
    expect(await readFile(join(root, outside, 'sentinel'), 'utf8')).toBe('overlay data\n');
    expect(await readFile(join(root, outside, 'sub/new'), 'utf8')).toBe('x');
    expect(await readlink(join(root, 'etc/foo'))).toBe(outside);
    expect(manifestLookup(manifest)(`${outside}/sentinel`)).toMatchObject({ type: 'file', mode: 0o755 });
    await untouched();
  });

  it('an overlay file or symlink where the root has a symlink to a host file replaces the symlink (absolute or climbing)', async () => {
    const { root, overlay, outside, untouched } = await fixture();
    const sentinel = join(outside, 'sentinel');
    await symlink(sentinel, join(root, 'etc/abs'));
    await symlink(climbing(sentinel), join(root, 'etc/rel'));
    await symlink(climbing(sentinel), join(root, 'etc/rel-link'));
    await put(overlay, 'etc/abs', 'overlay abs\n', 0o4755);
    await put(overlay, 'etc/rel', 'overlay rel\n', 0o777);
    await mkdir(join(overlay, 'etc'), { recursive: true });
    await symlink('abs', join(overlay, 'etc/rel-link'));
    const { changes } = await applyOverlay({ root, overlay, manifest: emptyManifest() });
    await untouched();
    for (const name of ['abs', 'rel']) {
      expect((await lstat(join(root, 'etc', name))).isFile()).toBe(true);
      expect(await readFile(join(root, 'etc', name), 'utf8')).toBe(`overlay ${name}\n`);
    }
    expect(await readlink(join(root, 'etc/rel-link'))).toBe('abs');
    expect(changes).toEqual(
      expect.arrayContaining(['/etc/abs', '/etc/rel', '/etc/rel-link'].map((path) => ({ path, action: 'replaced' }))),
    );
  });

  it('an overlay directory under a root symlink that climbs out of the root is refused, the host untouched', async () => {
    const { root, overlay, outside, untouched } = await fixture();
    await symlink(climbing(outside), join(root, 'etc/foo'));
    await put(overlay, 'etc/foo/sentinel', 'overlay data\n');
    await put(overlay, 'etc/foo/sub/new', 'x');
    await expect(applyOverlay({ root, overlay, manifest: emptyManifest() })).rejects.toMatchObject({
      code: 'ERR_OVERLAY_PATH_ESCAPE',
      path: '/etc/foo',
    });
    await untouched();
  });

  it('an overlay directory under a root symlink loop (or a chain of more than 40 links) is refused naming the link, the host untouched', async () => {
    const { root, overlay, untouched } = await fixture();
    await symlink('loop-b', join(root, 'etc/loop-a'));
    await symlink('/etc/loop-a', join(root, 'etc/loop-b'));
    await put(overlay, 'etc/loop-a/x', 'overlay data\n');
    await expect(applyOverlay({ root, overlay, manifest: emptyManifest() })).rejects.toMatchObject({
      code: 'ERR_OVERLAY_PATH_ESCAPE',
      message: expect.stringContaining('too many symlinks'),
      value: expect.stringMatching(/^\/etc\/loop-[ab] -> /),
      hint: expect.stringContaining('loop'),
    });
    await untouched();
  });

  it('a path reached through a symlink the overlay itself just copied resolves inside the root (absolute) or is refused (climbing)', async () => {
    const { root, overlay, outside, untouched } = await fixture();
    // The overlay brings etc/hop -> <outside>; the root's zz -> etc/hop then leads overlay's zz/ there.
    await mkdir(join(overlay, 'etc'), { recursive: true });
    await symlink(outside, join(overlay, 'etc/hop'));
    await symlink('etc/hop', join(root, 'zz'));
    await put(overlay, 'zz/sentinel', 'overlay data\n');
    await applyOverlay({ root, overlay, manifest: emptyManifest() });
    expect(await readlink(join(root, 'etc/hop'))).toBe(outside);
    expect(await readFile(join(root, outside, 'sentinel'), 'utf8')).toBe('overlay data\n');
    await untouched();

    const climbingOverlay = await temp('overlay-apply-airootfs-');
    await mkdir(join(climbingOverlay, 'etc'));
    await symlink(climbing(outside), join(climbingOverlay, 'etc/hop2'));
    await symlink('etc/hop2', join(root, 'zy'));
    await put(climbingOverlay, 'zy/sentinel', 'overlay data\n');
    await expect(applyOverlay({ root, overlay: climbingOverlay, manifest: emptyManifest() })).rejects.toMatchObject({
      code: 'ERR_OVERLAY_PATH_ESCAPE',
    });
    await untouched();
  });

  it('refuses an overlay directory that is itself a symlink (also spelled with a trailing slash) before writing anything', async () => {
    const { root, outside, untouched } = await fixture();
    const profile = await temp('overlay-apply-profile-');
    await symlink(outside, join(profile, 'airootfs'));
    const rootBefore = await snapshot(root);
    for (const overlay of [
      join(profile, 'airootfs'),
      `${join(profile, 'airootfs')}/`,
      `${join(profile, 'airootfs')}/.`,
    ]) {
      const error = await applyOverlay({ root, overlay, manifest: emptyManifest() }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'ERR_OVERLAY_SOURCE_SYMLINK',
        path: overlay,
        value: outside,
        hint: expect.stringContaining('real directory'),
      });
      await expect(applyProfile({ root, overlay, manifest: emptyManifest(), hostname: 'x' })).rejects.toMatchObject({
        code: 'ERR_OVERLAY_SOURCE_SYMLINK',
      });
    }
    expect(await snapshot(root)).toEqual(rootBefore);
    await untouched();
  });

  it('accepts an overlay reached through a symlinked parent (only the airootfs directory itself must be real)', async () => {
    const { root } = await fixture();
    const profile = await temp('overlay-apply-profile-');
    await put(profile, 'airootfs/etc/motd', 'hi\n');
    const parent = await temp('overlay-apply-link-');
    await symlink(profile, join(parent, 'profile'));
    await applyOverlay({ root, overlay: join(parent, 'profile', 'airootfs'), manifest: emptyManifest() });
    expect(await readFile(join(root, 'etc/motd'), 'utf8')).toBe('hi\n');
  });
});
