import { emptyManifest, mergeManifest, type Manifest } from '@distroforge/core';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExt4FromBase } from '../src/ext4-from-base.js';
import { buildExt4Image } from '../src/ext4-image.js';
import { speculateBaseCopy } from '../src/speculative-base-copy.js';

const epoch = 1_700_000_000;
const ids = { uuid: '0E4C8B52-2D5C-4F37-9E0E-5C1B1F2A3B4C', hashSeed: '6A1D9B0E-1111-4222-8333-444455556666' };
const size = 32 * 1024 * 1024;
let work: string;
let base: string;
let derived: string;

const baseManifest: Manifest = mergeManifest(emptyManifest(), [
  { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 },
  { path: '/dev/null', type: 'char', major: 1, minor: 3, mode: 0o666 },
  { path: '/dev/old', type: 'block', major: 8, minor: 0 },
  { path: '/usr/bin/su', mode: 0o4755 },
]);
// The derived root's manifest: one owner changed, a device gone, a new one, a new user's home.
const derivedManifest: Manifest = mergeManifest(emptyManifest(), [
  { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o600 },
  { path: '/dev/null', type: 'char', major: 1, minor: 3, mode: 0o666 },
  { path: '/dev/console', type: 'char', major: 5, minor: 1, mode: 0o600 },
  { path: '/usr/bin/su', mode: 0o4755 },
  { path: '/home/live', uid: 1000, gid: 1000, mode: 0o700 },
]);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-ext4-base-'));
  base = join(work, 'base');
  for (const dir of [
    'etc/skel',
    'usr/bin',
    'usr/share/doc/pkg',
    'var/cache/gone/deep',
    'dev',
    'opt/becomes-file',
    'home',
  ])
    await mkdir(join(base, dir), { recursive: true });
  await writeFile(join(base, 'etc/shadow'), 'root:*:19000::::::\n');
  await writeFile(join(base, 'etc/motd'), 'welcome\n');
  await writeFile(join(base, 'etc/hostname'), 'base\n');
  await writeFile(join(base, 'usr/bin/su'), 'su binary');
  await writeFile(join(base, 'usr/bin/tool'), 'x'.repeat(200_000));
  await link(join(base, 'usr/bin/tool'), join(base, 'usr/bin/tool-alias'));
  await writeFile(join(base, 'usr/share/doc/pkg/README'), 'docs\n');
  await writeFile(join(base, 'var/cache/gone/deep/file'), 'cache\n');
  await writeFile(join(base, 'opt/becomes-file/inside'), 'inside\n');
  await writeFile(join(base, 'opt/becomes-dir'), 'a file\n');
  await symlink('usr/bin', join(base, 'bin'));
  await symlink('/etc/motd', join(base, 'etc/issue'));
  for (const path of ['etc/shadow', 'etc/motd', 'usr/bin/tool'])
    await utimes(join(base, path), epoch - 100, epoch - 100);

  // The derived tree is a hard-link farm of the base (as distroforge's overlay stage makes it), then changed.
  derived = join(work, 'derived');
  await execa('cp', ['-a', '--link', '--no-target-directory', base, derived]);
  await replace(join(derived, 'etc/motd'), 'changed\n');
  await replace(join(derived, 'etc/hostname'), 'base\n'); // same bytes, new inode: unchanged
  await unlink(join(derived, 'usr/share/doc/pkg/README'));
  await rm(join(derived, 'var/cache/gone'), { recursive: true });
  await rm(join(derived, 'opt/becomes-file'), { recursive: true });
  await writeFile(join(derived, 'opt/becomes-file'), 'now a file\n');
  await unlink(join(derived, 'opt/becomes-dir'));
  await mkdir(join(derived, 'opt/becomes-dir'));
  await writeFile(join(derived, 'opt/becomes-dir/child'), 'child\n');
  await unlink(join(derived, 'usr/bin/tool-alias')); // the set {tool, tool-alias} loses a member
  await mkdir(join(derived, 'home/live/.config'), { recursive: true });
  await writeFile(join(derived, 'home/live/.profile'), 'PS1=x\n');
  await link(join(derived, 'home/live/.profile'), join(derived, 'home/live/.config/profile'));
  await unlink(join(derived, 'etc/issue'));
  await symlink('/etc/hostname', join(derived, 'etc/issue'));
  await chmod(join(derived, 'etc/skel'), 0o700);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A new file at `path` (new inode), as overlay-apply writes: temp + rename. */
async function replace(path: string, content: string): Promise<void> {
  await writeFile(`${path}.new`, content);
  await import('node:fs/promises').then((fs) => fs.rename(`${path}.new`, path));
}

const options = (output: string, cacheDir: string) => ({
  directory: derived,
  manifest: derivedManifest,
  output,
  size,
  ...ids,
  sourceDateEpoch: epoch,
  logFile: join(work, 'log'),
  files: [{ path: '/etc/fstab', content: 'PARTUUID=x / ext4 rw 0 1\n' }],
  base: { directory: base, manifest: baseManifest },
  cacheDir,
});

/** Every inode's type, mode, owner, size, link count, mtime, device and symlink target, and every file's bytes. */
async function describeImage(image: string, dir: string): Promise<string[]> {
  const paths: string[] = [];
  const walk = async (at: string) => {
    const { stdout } = await execa('debugfs', ['-R', `ls -p "${at}"`, image]);
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [, , mode, , , name] = line.split('/');
      if (!name || name === '.' || name === '..' || name === 'lost+found') continue;
      const path = at === '/' ? `/${name}` : `${at}/${name}`;
      paths.push(path);
      if (mode!.startsWith('04')) await walk(path);
    }
  };
  await walk('/');
  const out: string[] = [];
  for (const path of paths.sort()) {
    const stat = (await execa('debugfs', ['-R', `stat "${path}"`, image])).stdout;
    const field = (re: RegExp) => re.exec(stat)?.[1] ?? '';
    const facts = [
      path,
      field(/Type: (\S+)/),
      field(/Mode:\s+(\d+)/),
      field(/User:\s+(\d+)/),
      field(/Group:\s+(\d+)/),
      field(/Size: (\d+)/),
      field(/Links: (\d+)/),
      field(/mtime: (\S+)/),
      field(/Device major\/minor number: (\S+)/),
      field(/Fast link dest: (".*")/),
    ];
    if (facts[1] === 'regular') {
      const copy = join(dir, 'dump');
      await execa('debugfs', ['-R', `dump "${path}" ${copy}`, image]);
      facts.push(
        createHash('sha256')
          .update(await readFile(copy))
          .digest('hex'),
      );
    }
    out.push(facts.join(' '));
  }
  return out;
}

describe('buildExt4FromBase', () => {
  it('gives the image a full build of the derived tree gives, the same bytes whether or not the base was cached; fsck is clean', async () => {
    const cacheDir = join(work, 'cache');
    const first = await buildExt4FromBase(options(join(work, 'first.ext4'), cacheDir));
    expect(first.base.cached).toBe(false);
    const second = await buildExt4FromBase(options(join(work, 'second.ext4'), cacheDir));
    expect(second.base.cached).toBe(true);
    expect(second.changed).toBe(first.changed);
    const digest = async (file: string) =>
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
    expect(await digest(join(work, 'second.ext4'))).toBe(await digest(join(work, 'first.ext4')));
    await execa('fsck.ext4', ['-fn', join(work, 'first.ext4')]);

    const { base: _base, cacheDir: _cache, ...direct } = options(join(work, 'direct.ext4'), cacheDir);
    await buildExt4Image(direct);
    const dir = await mkdtemp(join(work, 'describe-'));
    const fromBase = await describeImage(join(work, 'first.ext4'), dir);
    expect(fromBase).toEqual(await describeImage(join(work, 'direct.ext4'), dir));
    // Spot checks that the comparison sees what changed.
    expect(fromBase.find((l) => l.startsWith('/etc/shadow '))).toMatch(/ regular 0600 0 42 /);
    expect(fromBase.find((l) => l.startsWith('/home/live/.profile '))).toMatch(/ regular \d+ 0 0 6 2 /);
    expect(fromBase.some((l) => l.startsWith('/dev/old '))).toBe(false);
    expect(fromBase.find((l) => l.startsWith('/usr/bin/tool '))).toMatch(/ 200000 1 /);
    expect(fromBase.find((l) => l.startsWith('/etc/skel '))).toMatch(/ directory 0700 /);
    expect(fromBase.some((l) => l.startsWith('/var/cache/gone'))).toBe(false);
  });

  it('rewrites only what changed: an untouched hard-link farm needs nothing but the extra files', async () => {
    const same = join(work, 'same');
    await execa('cp', ['-a', '--link', '--no-target-directory', base, same]);
    const built = await buildExt4FromBase({
      ...options(join(work, 'same.ext4'), join(work, 'cache')),
      directory: same,
      manifest: baseManifest,
    });
    expect(built.changed).toBe(0);
    expect((await readdir(join(work, 'cache'))).filter((n) => n.endsWith('.ext4'))).toHaveLength(1);
  });

  it('uses a copy started ahead when it is of the right base, throws it away when not, and builds the same bytes either way', async () => {
    const cacheDir = join(work, 'cache-ahead');
    const digest = async (file: string) =>
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
    const leftovers = async () => (await readdir(work)).filter((n) => n.startsWith('.distroforge-base-'));
    const copies = async (logFile: string) =>
      (await readFile(logFile, 'utf8')).split('\n').filter((l) => l.startsWith('$ cp '));
    expect(await speculateBaseCopy(cacheDir, work, { logFile: join(work, 'log') })).toBeUndefined();
    await buildExt4FromBase(options(join(work, 'ahead-cold.ext4'), cacheDir));
    const [cachedName] = (await readdir(cacheDir)).filter((n) => n.endsWith('.ext4'));

    // The right base: its copy becomes the output (one cp in all), no second copy is made.
    const rightLog = join(work, 'ahead-right.log');
    const right = await speculateBaseCopy(cacheDir, work, { logFile: rightLog });
    expect(right?.image).toBe(join(cacheDir, cachedName!));
    const used = await buildExt4FromBase(
      { ...options(join(work, 'ahead-right.ext4'), cacheDir), logFile: rightLog },
      { speculative: right },
    );
    expect(used.base.cached).toBe(true);
    expect(await copies(rightLog)).toHaveLength(1);
    expect(await digest(join(work, 'ahead-right.ext4'))).toBe(await digest(join(work, 'ahead-cold.ext4')));
    expect(await leftovers()).toEqual([]);

    // Another base became the most recently used: the copy ahead is of it, so it is deleted and the right one copied.
    await buildExt4FromBase({
      ...options(join(work, 'ahead-other.ext4'), cacheDir),
      base: { directory: base, manifest: baseManifest, key: 'other' },
    });
    const wrongLog = join(work, 'ahead-wrong.log');
    const wrong = await speculateBaseCopy(cacheDir, work, { logFile: wrongLog });
    expect(wrong?.image).not.toBe(join(cacheDir, cachedName!));
    await buildExt4FromBase(
      { ...options(join(work, 'ahead-wrong.ext4'), cacheDir), logFile: wrongLog },
      { speculative: wrong },
    );
    expect(await copies(wrongLog)).toHaveLength(2);
    expect(await digest(join(work, 'ahead-wrong.ext4'))).toBe(await digest(join(work, 'ahead-cold.ext4')));
    expect(await leftovers()).toEqual([]);

    // Discarded unclaimed (a failed build): nothing is left behind.
    const unused = await speculateBaseCopy(cacheDir, work, { logFile: join(work, 'log') });
    await unused?.discard();
    await unused?.discard();
    expect(await leftovers()).toEqual([]);
    // Claimed but never renamed (the build failed after the claim): discard deletes it too.
    const stranded = await speculateBaseCopy(cacheDir, work, { logFile: join(work, 'log') });
    const copy = await stranded!.claim(stranded!.image);
    expect(copy && (await leftovers())).toHaveLength(1);
    await stranded!.discard();
    expect(await leftovers()).toEqual([]);
  });

  it('keeps the cache small: base images of other trees replace the older ones', async () => {
    const cacheDir = join(work, 'cache-prune');
    for (const key of ['a', 'b', 'c'])
      await buildExt4FromBase({
        ...options(join(work, `k-${key}.ext4`), cacheDir),
        base: { directory: base, manifest: baseManifest, key },
      });
    expect((await readdir(cacheDir)).filter((n) => n.endsWith('.ext4'))).toHaveLength(2);
  });
});
