// A script phase as a stage, on a tiny root of the host's static busybox: the scripts run inside the
// root in a user namespace (as root or not), see their environment and their copy of the profile,
// what they change (owners as the image sees them, removals) lands in the manifest with times
// clamped to the epoch, the upstream tree is never written through, and a failing script is a
// ProfileScriptError naming phase, script, status, output tail and log, leaving no partial output.
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, writeManifest, type Manifest } from '@distroforge/core';
import { StageCache, type StageResult } from '../src/engine/stage-cache.js';
import { Reporter } from '../src/output/reporter.js';
import type { BuildContext } from '../src/pipeline/build-context.js';
import { ProfileScriptError } from '../src/errors.js';
import { scriptStage } from '../src/pipeline/stage-scripts.js';
import { parseProfile } from '../src/profile/load-profile.js';

const EPOCH = 1_600_000_000;
let work = '';
let upstream: StageResult<unknown>;

/** A static busybox is a whole userland for a root of one file. */
async function busyboxRoot(root: string): Promise<void> {
  for (const dir of ['bin', 'etc', 'run', 'var/lib', 'proc', 'sys', 'dev', 'tmp'])
    await mkdir(join(root, dir), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  for (const tool of ['sh', 'echo', 'cat', 'chown', 'chmod', 'rm', 'mkdir', 'ls', 'test'])
    await symlink('busybox', join(root, 'bin', tool));
  await writeFile(join(root, 'etc', 'shared'), 'upstream\n');
  await writeFile(join(root, 'etc', 'gone'), 'to be removed\n');
  await mkdir(join(root, 'var', 'lib', 'owned'));
}

function context(profileDir: string, yaml: string): BuildContext {
  const reporter = new Reporter({ quiet: true, out: new PassThrough() });
  return {
    loaded: {
      dir: profileDir,
      profileFile: join(profileDir, 'profile.yaml'),
      profile: parseProfile(yaml),
      packages: [],
      overlayDir: undefined,
    },
    paths: { profileDir, stateDir: join(profileDir, '.distroforge'), outDir: join(profileDir, 'out') },
    reporter,
    cache: new StageCache(join(profileDir, '.distroforge'), reporter),
    epoch: EPOCH,
    logFile: join(work, 'build.log'),
  } as unknown as BuildContext;
}

async function profileWith(scripts: Record<string, string>, yaml: string): Promise<BuildContext> {
  const dir = await mkdtemp(join(work, 'profile-'));
  await mkdir(join(dir, 'scripts'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'value'), 'from the profile\n');
  for (const [name, body] of Object.entries(scripts))
    await writeFile(join(dir, 'scripts', name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return context(dir, `name: p\nsource: {type: apt}\n${yaml}`);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-scripts-'));
  const dir = join(work, 'upstream');
  await busyboxRoot(join(dir, 'rootfs'));
  const manifest: Manifest = {
    format: 'distroforge-manifest',
    version: 1,
    entries: [
      { path: '/var/lib/owned', uid: 7, gid: 7, mode: 0o750 },
      { path: '/dev/console', type: 'char', major: 5, minor: 1, uid: 0, gid: 0, mode: 0o600 },
    ],
  };
  await writeManifest(join(dir, 'manifest.json'), manifest);
  upstream = { name: 'overlay', key: 'upstream-key', dir, result: {}, cached: false, ms: 0 };
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('scriptStage', () => {
  it('runs the scripts in the root and records what they changed, owners as the image saw them', async () => {
    const ctx = await profileWith(
      {
        'post.sh': [
          'set -e',
          'echo "$DISTROFORGE_PHASE $DISTROFORGE_ARCHITECTURE $SOURCE_DATE_EPOCH $DISTROFORGE_OUTPUTS" > /etc/env',
          'cat "$DISTROFORGE_PROFILE_DIR/data/value" >> /etc/env',
          // The owner the manifest gave, seen inside.
          'ls -ldn /var/lib/owned > /etc/owned-before',
          'echo changed >> /etc/shared',
          'mkdir /var/lib/new && chown 4:5 /var/lib/new && chmod 2750 /var/lib/new',
          'rm /etc/gone',
          'chown 0:0 /var/lib/owned',
        ].join('\n'),
      },
      'outputs: [iso, disk]\nscripts:\n  postinstall: [{ path: scripts/post.sh, inputs: [data] }]\n',
    );
    const result = await scriptStage(ctx, 'postinstall', upstream);
    const root = join(result.dir, 'rootfs');
    expect(await readFile(join(root, 'etc', 'env'), 'utf8')).toBe(
      `postinstall amd64 ${EPOCH} iso disk\nfrom the profile\n`,
    );
    expect(await readFile(join(root, 'etc', 'owned-before'), 'utf8')).toMatch(/^drwxr-x---\s+\d+\s+7\s+7 /);
    // The upstream stage's tree is not written through.
    expect(await readFile(join(upstream.dir, 'rootfs', 'etc', 'shared'), 'utf8')).toBe('upstream\n');
    expect(await readFile(join(root, 'etc', 'shared'), 'utf8')).toBe('upstream\nchanged\n');
    const manifest = await readManifest(join(result.dir, 'manifest.json'));
    const entry = (path: string) => manifest.entries.find((e) => e.path === path);
    expect(entry('/var/lib/new')).toEqual({ path: '/var/lib/new', uid: 4, gid: 5, mode: 0o2750 });
    expect(entry('/var/lib/owned')).toMatchObject({ uid: 0, gid: 0, mode: 0o750 });
    expect(entry('/etc/gone')).toBeUndefined();
    expect(entry('/dev/console')).toMatchObject({ type: 'char', major: 5, minor: 1 });
    // Everything is the builder's again, nothing newer than the epoch, the profile's copy gone.
    if (process.getuid?.() !== 0) expect((await lstat(join(root, 'var', 'lib', 'new'))).uid).toBe(process.getuid?.());
    for (const path of ['etc/shared', 'etc', 'var/lib/new', 'etc/env'])
      expect((await lstat(join(root, path))).mtimeMs, path).toBeLessThanOrEqual(EPOCH * 1000);
    expect(await readdir(join(root, 'run'))).toEqual([]);
    // The same scripts and tree: cached.
    expect((await scriptStage(ctx, 'postinstall', upstream)).cached).toBe(true);
  });

  it('has no network unless the script asks for it', async () => {
    const ctx = await profileWith(
      { 'net.sh': 'cat /proc/net/dev > /etc/net' },
      'scripts:\n  prepare: [scripts/net.sh]\n',
    );
    const result = await scriptStage(ctx, 'prepare', upstream);
    const interfaces = (await readFile(join(result.dir, 'rootfs', 'etc', 'net'), 'utf8'))
      .split('\n')
      .slice(2)
      .filter(Boolean)
      .map((l) => l.split(':')[0]!.trim());
    expect(interfaces).toEqual(['lo']);
  });

  it('a failing script is a ProfileScriptError with phase, script, status, output tail and log; no partial output stays', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `echo line-${i + 1}`).join('\n');
    const ctx = await profileWith(
      {
        'ok.sh': 'echo fine',
        'bad.sh': `${lines}\nmkdir /var/lib/left && echo x > /var/lib/left/f && chown -R 9:9 /var/lib/left && chmod 700 /var/lib/left\necho the-reason >&2\nexit 7`,
      },
      'scripts:\n  finalize: [scripts/ok.sh, scripts/bad.sh]\n',
    );
    const error = await scriptStage(ctx, 'finalize', upstream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProfileScriptError);
    const failure = error as ProfileScriptError;
    expect(failure.code).toBe('ERR_PROFILE_SCRIPT_FAILED');
    expect(failure.value).toEqual({ phase: 'finalize', script: 'scripts/bad.sh', exitCode: 7 });
    expect(failure.message).toMatch(/^finalize script scripts\/bad\.sh exited with status 7; its last lines:\n/);
    expect(failure.outputTail.split('\n')).toHaveLength(20);
    expect(failure.outputTail).toMatch(/line-30\nthe-reason$/);
    expect(failure.outputTail).not.toMatch(/line-10\n/);
    expect(failure.path).toBe(join(ctx.paths.stateDir, 'logs', 'finalize', '2-bad.sh.log'));
    expect(await readFile(failure.path!, 'utf8')).toMatch(/line-1\n/);
    expect(failure.hint).toMatch(/nothing was published/);
    expect(
      (await readdir(join(ctx.paths.stateDir, 'stages', 'finalize'))).filter((n) => !n.startsWith('.stale')),
    ).toEqual([]);
  });
});

describe('checks when the profile loads', () => {
  it('names a script that is not executable, a missing input, a link out of the profile and a bad tree source, at its line', async () => {
    const { loadProfile } = await import('../src/profile/load-profile.js');
    const dir = await mkdtemp(join(work, 'load-'));
    await mkdir(join(dir, 'scripts'));
    await writeFile(join(dir, 'scripts', 'a.sh'), '#!/bin/sh\n', { mode: 0o644 });
    await writeFile(join(dir, 'scripts', 'b.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await symlink('/etc/hostname', join(dir, 'scripts', 'out.sh'));
    await writeFile(join(dir, 'tree.txt'), 'not a tarball\n');
    const load = async (extra: string): Promise<{ message?: string; profile?: unknown }> => {
      await writeFile(join(dir, 'profile.yaml'), `name: p\nsource: {type: apt}\n${extra}`);
      return loadProfile(dir).catch((e: unknown) => e as Error);
    };
    const notExecutable = await load('scripts:\n  prepare:\n    - scripts/a.sh\n');
    expect(notExecutable.message).toMatch(
      /profile\.yaml:5:7: scripts\.prepare\.0: scripts\/a\.sh is not executable \(mode 644\)/,
    );
    expect((await load('scripts:\n  finalize: [{ path: scripts/b.sh, inputs: [data/missing] }]\n')).message).toMatch(
      /scripts\.finalize\.0\.inputs: data\/missing: no such file or folder/,
    );
    expect((await load('scripts:\n  postinstall: [scripts/out.sh]\n')).message).toMatch(
      /scripts\/out\.sh leads out of the profile directory/,
    );
    expect((await load('extraTrees:\n  - { from: tree.txt, to: /opt/x }\n')).message).toMatch(
      /extraTrees\.0\.from: tree\.txt is neither a folder nor a tarball/,
    );
    expect((await load('scripts:\n  prepare: [/usr/bin/env]\n')).message).toMatch(
      /scripts\.prepare\.0: a path inside the profile directory/,
    );
    expect((await load('extraTrees:\n  - { from: ., to: opt }\n')).message).toMatch(
      /extraTrees\.0\.to: an absolute path in the image/,
    );
    expect((await load('extraTrees:\n  - { from: ., to: /opt, owner: root }\n')).message).toMatch(
      /extraTrees\.0\.owner: expected "uid:gid"/,
    );
    const ok = await load('scripts:\n  prepare: [scripts/b.sh]\nextraTrees:\n  - { from: scripts, to: /opt/s }\n');
    expect(ok).toMatchObject({
      profile: {
        scripts: { prepare: ['scripts/b.sh'], postinstall: [], finalize: [] },
        extraTrees: [{ from: 'scripts', to: '/opt/s', owner: '0:0' }],
      },
    });
  });

  it('refuses scripts and extraTrees for a busybox source', async () => {
    const { loadProfile } = await import('../src/profile/load-profile.js');
    const dir = await mkdtemp(join(work, 'busybox-'));
    await writeFile(
      join(dir, 'profile.yaml'),
      'name: p\nsource: {type: busybox}\noutputs: [initramfs]\nextraTrees: []\n',
    );
    await expect(loadProfile(dir)).rejects.toThrow(
      /extraTrees: a busybox root takes its files from airootfs\/ only: a busybox source cannot honour it/,
    );
  });
});
