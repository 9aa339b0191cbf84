// /etc/.updated and /var/.updated: written only when the root's ConditionNeedsUpdate= units have
// nothing left to do. The oracle for "nothing left" is the host's systemd-sysusers itself
// (`--root DIR --dry-run` says "Would write" exactly when it would change an account file).
import { emptyManifest, manifestLookup } from '@distroforge/core';
import { execa } from 'execa';
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyProfile, type ApplyProfileOptions } from '../src/index.js';
import { makeFixtureRoot } from './fixture-root.js';

const EPOCH = 1_700_000_000;
const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

const SYSUSERS_UNIT =
  '[Unit]\nDescription=Create System Users\nConditionNeedsUpdate=/etc\n\n[Service]\nType=oneshot\nExecStart=systemd-sysusers\n';
// Every account here is in the fixture root's passwd/group (test/fixture-root.ts); games' group 60
// is not, but a line that names the group (uid:gid) never makes sysusers create it.
const SATISFIED = [
  'g adm 4 -',
  'g nogroup 65534 -',
  'u root 0 "root" /root /bin/bash',
  'u sync 4:65534 - /bin /bin/sync',
  'u games 5:60 - /usr/games /usr/sbin/nologin',
  'u systemd-network - "systemd Network Management"',
  'r - 500-900',
].join('\n');

async function put(root: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

/** A fixture root with the sysusers unit and `conf` as its only sysusers.d file. */
async function rootWith(conf: string, extra: Record<string, string> = {}): Promise<string> {
  const root = await makeFixtureRoot();
  cleanup.push(root);
  await put(root, 'usr/lib/systemd/system/systemd-sysusers.service', SYSUSERS_UNIT);
  await put(root, 'usr/lib/sysusers.d/basic.conf', `# accounts\n\n${conf}\n`);
  for (const [path, text] of Object.entries(extra)) await put(root, path, text);
  return root;
}

const apply = (root: string, more: Partial<ApplyProfileOptions> = {}) =>
  applyProfile({ root, manifest: emptyManifest(), sourceDateEpoch: EPOCH, ...more });

async function stamps(root: string): Promise<(string | undefined)[]> {
  return Promise.all(
    ['etc/.updated', 'var/.updated'].map((p) => readFile(join(root, p), 'utf8').catch(() => undefined)),
  );
}

/** What the host's systemd-sysusers would do to the root: true when it would write an account file. */
async function sysusersWouldWrite(root: string): Promise<boolean> {
  const { stdout, stderr } = await execa('systemd-sysusers', [`--root=${root}`, '--dry-run'], { all: true });
  return /Would write/.test(`${stdout}\n${stderr}`);
}

describe('update stamps', () => {
  it('are written when systemd-sysusers would change nothing, with /usr’s time (the epoch) in them and as their mtime', async () => {
    const root = await rootWith(SATISFIED);
    expect(await sysusersWouldWrite(root)).toBe(false);
    const { manifest, changes } = await apply(root);
    const [etc, vars] = await stamps(root);
    expect(etc).toMatch(/^#.*\nTIMESTAMP_NSEC=1700000000000000000\n$/);
    expect(vars).toBe(etc);
    expect((await stat(join(root, 'etc/.updated'))).mtimeMs).toBe(EPOCH * 1000);
    expect(manifestLookup(manifest)('/var/.updated')).toMatchObject({ uid: 0, gid: 0, mode: 0o644 });
    expect(changes).toContainEqual({ path: '/etc/.updated', action: 'created' });
    // Applying again (to the root and its manifest) changes nothing.
    expect((await apply(root, { manifest })).changes).toEqual([]);
  });

  it.each([
    ['a missing user', 'u nosuchuser - "Nobody here"'],
    ['a missing group', 'g nosuchgroup -'],
    ['a user whose own group is missing', 'u www-data 33 - /var/www'],
    ['a missing membership', 'm games audio'],
  ])('are not written while sysusers has work left (%s), as systemd-sysusers --dry-run agrees', async (_, line) => {
    // www-data's own group exists in the fixture: drop it so the line needs it created.
    const root = await rootWith(`${SATISFIED}\n${line}`);
    if (line.startsWith('u www-data')) {
      const group = await readFile(join(root, 'etc/group'), 'utf8');
      await writeFile(join(root, 'etc/group'), group.replace(/^www-data:.*\n/m, ''));
    }
    expect(await sysusersWouldWrite(root)).toBe(true);
    await apply(root);
    expect(await stamps(root)).toEqual([undefined, undefined]);
  });

  it('follow sysusers.d precedence: /etc overrides /usr/lib by name, a /dev/null link masks', async () => {
    const overridden = await rootWith('u nosuchuser -', { 'etc/sysusers.d/basic.conf': SATISFIED });
    expect(await sysusersWouldWrite(overridden)).toBe(false);
    await apply(overridden);
    expect((await stamps(overridden))[0]).toBeDefined();
    const masked = await rootWith(SATISFIED, { 'usr/lib/sysusers.d/extra.conf': 'u nosuchuser -' });
    await mkdir(join(masked, 'etc/sysusers.d'), { recursive: true });
    await symlink('/dev/null', join(masked, 'etc/sysusers.d/extra.conf'));
    expect(await sysusersWouldWrite(masked)).toBe(false);
    await apply(masked);
    expect((await stamps(masked))[0]).toBeDefined();
  });

  it('are not written when another unit needs the update (it is not checked here), unless the profile masks it', async () => {
    const ldconfig = {
      'usr/lib/systemd/system/ldconfig.service':
        '[Unit]\nDescription=Rebuild Dynamic Linker Cache\nConditionNeedsUpdate=/etc\n\n[Service]\nType=oneshot\nExecStart=/sbin/ldconfig -X\n',
    };
    const root = await rootWith(SATISFIED, ldconfig);
    await apply(root);
    expect(await stamps(root)).toEqual([undefined, undefined]);
    // A drop-in adding the condition counts as well.
    const dropIn = await rootWith(SATISFIED, {
      'usr/lib/systemd/system/journal-catalog.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/journal-catalog.service.d/update.conf': '[Unit]\nConditionNeedsUpdate=/var\n',
    });
    await apply(dropIn);
    expect(await stamps(dropIn)).toEqual([undefined, undefined]);
    const masked = await rootWith(SATISFIED, ldconfig);
    await apply(masked, { services: { mask: ['ldconfig.service'] } });
    expect((await stamps(masked))[0]).toBeDefined();
  });

  it('are not written for a line this check cannot judge (a specifier, an unknown type)', async () => {
    for (const line of ['u %H-user -', 'x something']) {
      const root = await rootWith(`${SATISFIED}\n${line}`);
      await apply(root);
      expect(await stamps(root), line).toEqual([undefined, undefined]);
    }
  });

  it('are not written without an epoch, with updateStamps: never, when no unit has the condition, and a root’s own stamp stays', async () => {
    const noEpoch = await rootWith(SATISFIED);
    await applyProfile({ root: noEpoch, manifest: emptyManifest() });
    expect(await stamps(noEpoch)).toEqual([undefined, undefined]);
    const never = await rootWith(SATISFIED);
    await apply(never, { updateStamps: 'never' });
    expect(await stamps(never)).toEqual([undefined, undefined]);
    const plain = await makeFixtureRoot();
    cleanup.push(plain);
    await apply(plain);
    expect(await stamps(plain)).toEqual([undefined, undefined]);
    const own = await rootWith(SATISFIED, { 'etc/.updated': 'TIMESTAMP_NSEC=1\n' });
    await apply(own);
    expect(await stamps(own)).toEqual(['TIMESTAMP_NSEC=1\n', undefined]);
  });
});
