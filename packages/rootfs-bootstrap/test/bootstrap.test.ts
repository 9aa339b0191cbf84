// The one real bootstrap of the suite: bookworm minbase plus a kernel and systemd-sysv, from the
// host's mirror with the shared package cache, built once and inspected by every test below.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapRootfs, resolveRootfs, type BootstrapProgress, type BootstrapResult } from '../src/index.js';
import { withImageRoot } from '@distroforge/core';
import { mountsUnder } from '../src/build-atomically.js';
import { dpkgInstalled, mmdebstrapSimulate } from './helpers.js';

const EPOCH = 1_700_000_000;
const include = ['linux-image-cloud-amd64', 'systemd-sysv'];
const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-real-'));
const target = join(work, 'rootfs');
let result: BootstrapResult;
const events: BootstrapProgress[] = [];
/** What onFilesUnpacked saw, at the moment it was called. */
const unpackedCalls: { root: string; kernel: string[]; moduleIndex: boolean; kernelConfigured: boolean }[] = [];
const savedEpoch = process.env.SOURCE_DATE_EPOCH;

beforeAll(async () => {
  process.env.SOURCE_DATE_EPOCH = String(EPOCH);
  result = await bootstrapRootfs({
    suite: 'bookworm',
    variant: 'minbase',
    include,
    target,
    onProgress: (e) => events.push(e),
    onFilesUnpacked: async (root) => {
      const kernel = readdirSync(join(root, 'boot')).filter((f) => f.startsWith('vmlinuz-'));
      const version = kernel[0]?.slice('vmlinuz-'.length) ?? '';
      unpackedCalls.push({
        root,
        kernel,
        moduleIndex: existsSync(join(root, 'usr/lib/modules', version, 'modules.dep')),
        kernelConfigured: readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8').includes(
          `Package: linux-image-${version}\nStatus: install ok installed`,
        ),
      });
      await new Promise((resolve) => setTimeout(resolve, 50)); // awaited: nothing runs meanwhile
    },
  });
}, 30 * 60_000);

afterAll(() => {
  if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = savedEpoch;
  rmSync(work, { recursive: true, force: true });
});

/**
 * The package set apt resolves for minbase plus `extra` with /usr merged by symlinks, as mmdebstrap
 * --simulate prints it: its custom variant given minbase's names (those of our resolution with
 * usrmerge's conversion, which the dry-run tests hold equal to mmdebstrap's own minbase) with
 * usr-is-merged in usrmerge's place. (mmdebstrap's minbase itself installs usrmerge before any
 * include is read; its merged-usr hooks, which install usr-is-merged first, do not run in --simulate.)
 */
async function aptMergedUsrSet(extra: readonly string[]): Promise<string[]> {
  const conversion = await resolveRootfs({ suite: 'bookworm', variant: 'minbase', include: ['usrmerge'] });
  const minbaseNames = conversion.packages.filter((p) => p.chain.length === 1 && p.name !== 'usrmerge');
  return mmdebstrapSimulate('bookworm', 'custom', [...minbaseNames.map((p) => p.name), 'usr-is-merged', ...extra]);
}

describe('bootstrapRootfs (bookworm minbase + kernel + systemd-sysv, as root)', () => {
  it('installs exactly the package set apt resolves for the same request and mirror (mmdebstrap --simulate)', async () => {
    const expected = await aptMergedUsrSet(include);
    expect(expected.length).toBeGreaterThan(100);
    expect(result.packages.map((p) => `${p.name} ${p.version}`)).toEqual(expected);
    expect(dpkgInstalled(target)).toEqual(expected);
  });

  it('merges /usr as debootstrap does: symlinks made before unpacking, usr-is-merged, no usrmerge or perl', () => {
    expect(result.packages.find((p) => p.name === 'usr-is-merged')).toBeDefined();
    for (const absent of ['usrmerge', 'perl', 'libperl5.36', 'perl-modules-5.36'])
      expect(
        result.packages.find((p) => p.name === absent),
        absent,
      ).toBeUndefined();
    for (const dir of ['bin', 'sbin', 'lib', 'lib64']) {
      expect(lstatSync(join(target, dir)).isSymbolicLink(), dir).toBe(true);
      expect(readlinkSync(join(target, dir)), dir).toBe(`usr/${dir}`);
      expect(statSync(join(target, 'usr', dir)).isDirectory(), dir).toBe(true);
    }
    // The biarch links no package owns are removed again by usr-is-merged's postinst.
    for (const dir of ['lib32', 'libx32', 'usr/lib32', 'usr/libx32'])
      expect(existsSync(join(target, dir)), dir).toBe(false);
    // Files the packages list under /bin and /lib are reached through the links.
    expect(readFileSync(join(target, 'var/lib/dpkg/info/bash.list'), 'utf8')).toContain('/bin/bash\n');
    expect(statSync(join(target, 'usr/bin/bash')).isFile()).toBe(true);
    expect(readFileSync(result.logFile, 'utf8')).not.toContain('usrmerge');
  });

  it('leaves a tree that dpkg --audit finds clean, with every package configured', () => {
    expect(execFileSync('chroot', [target, 'dpkg', '--audit'], { encoding: 'utf8' })).toBe('');
    const states = execFileSync('chroot', [target, 'dpkg-query', '-W', '-f=${db:Status-Abbrev}\\n'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    expect(new Set(states.map((s) => s.trim()))).toEqual(new Set(['ii']));
    expect(result.configured).toBe(true);
  });

  it('contains a kernel with its modules, and skipped (but restored) update-initramfs', () => {
    const boot = readdirSync(join(target, 'boot'));
    const vmlinuz = boot.find((f) => f.startsWith('vmlinuz-'));
    expect(vmlinuz).toBeDefined();
    const version = vmlinuz!.slice('vmlinuz-'.length);
    expect(statSync(join(target, 'boot', vmlinuz!)).size).toBeGreaterThan(1 << 20);
    expect(existsSync(join(target, 'usr/lib/modules', version, 'modules.dep'))).toBe(true);
    expect(boot.some((f) => f.startsWith('initrd.img'))).toBe(false);
    expect(readFileSync(join(target, 'usr/sbin/update-initramfs'), 'utf8')).toContain('update-initramfs');
    expect(execFileSync('chroot', [target, 'dpkg-divert', '--list'], { encoding: 'utf8' })).not.toContain(
      'distroforge',
    );
    expect(lstatSync(join(target, 'sbin/init')).isSymbolicLink()).toBe(true);
  });

  it('calls onFilesUnpacked once, with the tree being built, when the kernel is unpacked and not yet configured', () => {
    expect(unpackedCalls).toHaveLength(1);
    const [call] = unpackedCalls;
    expect(call!.root).not.toBe(target);
    expect(call!.root.startsWith(work)).toBe(true);
    expect(call!.kernel).toHaveLength(1);
    expect(call!.moduleIndex).toBe(false); // the kernel's postinst (depmod) had not run
    expect(call!.kernelConfigured).toBe(false);
    expect(existsSync(call!.root)).toBe(false); // renamed to the target since
  });

  it('reports maintainer scripts, timings and progress', () => {
    expect(result.maintainerScripts).toEqual(
      expect.arrayContaining([{ package: 'base-passwd', scripts: ['preinst', 'postinst'] }]),
    );
    expect(result.maintainerScripts.find((s) => s.package === 'systemd')?.scripts).toContain('postinst');
    for (const key of [
      'indexMs',
      'resolveMs',
      'downloadMs',
      'unpackMs',
      'configureMs',
      'finishMs',
      'totalMs',
    ] as const) {
      expect(result.timings[key]).toBeGreaterThanOrEqual(0);
    }
    expect(result.configureSteps.map((s) => s.step)).toEqual([
      'unpack essential packages',
      'preinst essential packages',
      'configure essential packages',
      'unpack remaining packages',
      'preinst remaining packages',
      'configure all',
    ]);
    expect(result.timings.unpackMs).toBe(
      result.configureSteps.filter((s) => s.step.startsWith('unpack')).reduce((sum, s) => sum + s.ms, 0),
    );
    expect(events.filter((e) => e.phase === 'download')).toHaveLength(result.packages.length);
    expect(events.some((e) => e.phase === 'configure')).toBe(true);
    expect(readFileSync(result.logFile, 'utf8')).toContain('Setting up systemd');
  });

  it('removes what makes the tree non-reproducible and the bootstrap helpers', () => {
    for (const gone of [
      'var/log/dpkg.log',
      'var/log/alternatives.log',
      'var/cache/ldconfig/aux-cache',
      'usr/sbin/policy-rc.d',
      'var/cache/distroforge-debs',
    ]) {
      expect(existsSync(join(target, gone)), gone).toBe(false);
    }
    expect(readFileSync(join(target, 'etc/machine-id'), 'utf8')).toBe('');
    expect(readdirSync(work)).toEqual(['rootfs']); // no partial tree left beside it
  });

  it('points the apt of the image at the mirrors it was built from', () => {
    const sources = readFileSync(join(target, 'etc/apt/sources.list'), 'utf8');
    for (const r of result.packages.map((p) => p.origin)) expect(sources).toContain(` ${r} main`);
  });

  it('unmounted proc, sys and dev', async () => {
    expect(await mountsUnder(target)).toEqual([]);
    expect(readdirSync(join(target, 'proc'))).toEqual([]);
  });

  it('honours SOURCE_DATE_EPOCH: nothing is newer than it', () => {
    const newer = execFileSync('find', [target, '-xdev', '-newermt', `@${EPOCH}`], { encoding: 'utf8' }).trim();
    expect(newer).toBe('');
  });

  it('records owners and special modes from the disk in the manifest', () => {
    const byPath = new Map(result.manifest.entries.map((e) => [e.path, e]));
    const shadowGid = Number(readFileSync(join(target, 'etc/group'), 'utf8').match(/^shadow:x:(\d+):/m)?.[1]);
    expect(byPath.get('/etc/shadow')).toEqual({ path: '/etc/shadow', uid: 0, gid: shadowGid, mode: 0o640 });
    expect(byPath.get('/usr/bin/su')?.mode).toBe(0o4755);
    expect(byPath.get('/tmp')?.mode).toBe(0o1777);
  });

  it("runs the image's scripts where they see a chroot, as debootstrap's do (Debian's ischroot says so)", async () => {
    const logFile = join(work, 'ischroot.log');
    writeFileSync(logFile, '');
    await withImageRoot(target, { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, logFile }, async (session) => {
      await session.run(['/bin/sh', '-c', 'ischroot; echo "ischroot: $?"']);
    });
    expect(readFileSync(logFile, 'utf8')).toContain('ischroot: 0');
  });
});

describe('resolveRootfs (dry run)', () => {
  it('matches mmdebstrap --simulate for minbase with usrmerge (its default), with sizes and chains', async () => {
    const dry = await resolveRootfs({ suite: 'bookworm', variant: 'minbase', include: ['usrmerge'] });
    expect(dry.mergedUsr).toBe(false);
    expect(dry.packages.map((p) => `${p.name} ${p.version}`)).toEqual(mmdebstrapSimulate('bookworm', 'minbase', []));
    expect(dry.totalSize).toBe(dry.packages.reduce((s, p) => s + p.size, 0));
    expect(dry.packages.find((p) => p.name === 'libc6')?.chain[0]).not.toBe('libc6');
    expect(dry.packages.every((p) => /^[0-9a-f]{64}$/.test(p.sha256) && p.size > 0)).toBe(true);
  });

  it('merges /usr by symlinks for plain minbase: usr-is-merged for usrmerge, as apt resolves it', async () => {
    const dry = await resolveRootfs({ suite: 'bookworm', variant: 'minbase' });
    expect(dry.mergedUsr).toBe(true);
    expect(dry.packages.map((p) => `${p.name} ${p.version}`)).toEqual(await aptMergedUsrSet([]));
    expect(dry.packages.map((p) => p.name)).toContain('usr-is-merged');
    expect(dry.packages.map((p) => p.name)).not.toContain('usrmerge');
  });

  it("keeps usrmerge's conversion when usr-is-merged is excluded, and merges nothing for extract", async () => {
    const excluded = await resolveRootfs({ suite: 'bookworm', variant: 'minbase', exclude: ['usr-is-merged'] });
    expect(excluded.mergedUsr).toBe(false);
    expect(excluded.packages.map((p) => p.name)).toContain('usrmerge');
    const extract = await resolveRootfs({ suite: 'bookworm', variant: 'extract', include: ['bash'] });
    expect(extract.mergedUsr).toBe(false);
    expect(extract.packages.map((p) => p.name)).not.toContain('usr-is-merged');
  });
});

describe('bootstrapRootfs without maintainer scripts (configure: never)', () => {
  it('unpacks only, records owners and modes from the archives, and says scripts were skipped', async () => {
    const unpacked = join(work, 'unpacked');
    const r = await bootstrapRootfs({
      suite: 'bookworm',
      variant: 'extract',
      include: ['passwd'],
      target: unpacked,
      configure: 'never',
    });
    expect(r.configured).toBe(false);
    expect(r.skippedReason).toMatch(/never/);
    expect(r.maintainerScripts).toEqual([]);
    const byPath = new Map(r.manifest.entries.map((e) => [e.path, e]));
    expect(byPath.get('/usr/bin/passwd')).toMatchObject({ uid: 0, gid: 0, mode: 0o4755 });
    expect(byPath.get('/usr/bin/chage')).toMatchObject({ uid: 0, gid: 42, mode: 0o2755 });
    expect(existsSync(join(unpacked, 'usr/bin/passwd'))).toBe(true);
    expect(readFileSync(join(unpacked, 'var/lib/dpkg/status'), 'utf8')).toBe('');
    rmSync(unpacked, { recursive: true, force: true });
  });

  it('calls onFilesUnpacked after unpacking, and fails with its error leaving no target', async () => {
    const seen: string[] = [];
    const unpacked = join(work, 'called');
    await bootstrapRootfs({
      suite: 'bookworm',
      variant: 'extract',
      include: ['passwd'],
      target: unpacked,
      configure: 'never',
      onFilesUnpacked: (root) => {
        seen.push(root);
        expect(existsSync(join(root, 'usr/bin/passwd'))).toBe(true);
      },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toBe(unpacked);
    rmSync(unpacked, { recursive: true, force: true });
    const failing = join(work, 'failing');
    await expect(
      bootstrapRootfs({
        suite: 'bookworm',
        variant: 'extract',
        include: ['passwd'],
        target: failing,
        configure: 'never',
        onFilesUnpacked: () => Promise.reject(new Error('the copy failed')),
      }),
    ).rejects.toThrow('the copy failed');
    expect(existsSync(failing)).toBe(false);
    expect(readdirSync(work).filter((f) => f.includes('failing'))).toEqual([]);
  });

  it('refuses a non-empty target', async () => {
    await expect(
      bootstrapRootfs({ suite: 'bookworm', variant: 'extract', include: ['base-files'], target: work }),
    ).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_TARGET_NOT_EMPTY',
    });
  });
});
