import { emptyManifest, mergeManifest } from '@distroforge/core';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFileCapabilities, parseListLine } from '@distroforge/squashfs-wrap';
import { excludeMatcher } from '../src/exclude-match.js';
import { ProgressParser } from '../src/progress-parser.js';
import { planPseudoDefinitions } from '../src/pseudo-definitions.js';

describe('encodeFileCapabilities (struct vfs_cap_data revision 2, little-endian)', () => {
  const words = (b: Buffer) => [0, 4, 8, 12, 16].map((o) => b.readUInt32LE(o));
  it('cap_net_raw=ep: effective flag, permitted bit 13', () => {
    expect(words(encodeFileCapabilities('cap_net_raw=ep'))).toEqual([0x02000001, 1 << 13, 0, 0, 0]);
  });
  it('lists, + operator, inheritable only and caps above 31', () => {
    expect(words(encodeFileCapabilities('cap_net_bind_service,cap_net_admin+p'))).toEqual([
      0x02000000,
      (1 << 10) | (1 << 12),
      0,
      0,
      0,
    ]);
    expect(words(encodeFileCapabilities('cap_chown=i'))).toEqual([0x02000000, 0, 1, 0, 0]);
    expect(words(encodeFileCapabilities('cap_bpf,cap_perfmon=p'))).toEqual([0x02000000, 0, 0, (1 << 7) | (1 << 6), 0]);
  });
  it.each(['cap_bogus=ep', 'cap_net_raw', 'cap_net_raw=e cap_chown=p'])('rejects %j', (text) => {
    expect(() => encodeFileCapabilities(text)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }));
  });
});

describe('parseListLine (unsquashfs -lln)', () => {
  it.each([
    [
      'drwxr-xr-x 0/0                      81 2023-11-14 22:13 ',
      { path: '/', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 81 },
    ],
    ['-rwsr-xr-x 0/0                       4 2023-11-14 22:13 /bin/su', { path: '/bin/su', mode: 0o4755 }],
    [
      '-rw-r----- 0/42                      7 1970-01-01 00:16 /etc/shadow',
      { mode: 0o640, gid: 42, mtime: '1970-01-01 00:16' },
    ],
    [
      'crw--w---- 0/5                   5,  1 2023-11-14 22:13 /dev/console',
      { type: 'char', major: 5, minor: 1, size: 0, mode: 0o620 },
    ],
    [
      'brw-rw---- 0/6                 259, 1048575 2023-11-14 22:13 /dev/x',
      { type: 'block', major: 259, minor: 1048575 },
    ],
    [
      'lrwxrwxrwx 0/0                       3 1970-01-01 00:00 /l -> a b',
      { path: '/l', type: 'symlink', target: 'a b' },
    ],
    [
      'prw-r--r-- 4294967295/4294967294      0 2023-11-14 22:13 /run/p',
      { type: 'fifo', uid: 4294967295, gid: 4294967294 },
    ],
    ['drwxrwxrwt 0/0                       3 2023-11-14 22:13 /tmp', { mode: 0o1777 }],
    ['-rwxr-sr-T 0/0                       3 2023-11-14 22:13 /x y/ünï', { path: '/x y/ünï', mode: 0o3754 }],
  ])('%s', (line, expected) => {
    expect(parseListLine(line)).toMatchObject(expected);
  });
  it('rejects what it does not understand', () => {
    expect(() => parseListLine('Parallel unsquashfs: Using 2 processors')).toThrow(
      expect.objectContaining({ code: 'ERR_TOOL_OUTPUT' }),
    );
  });
});

describe('excludeMatcher (mksquashfs -wildcards semantics)', () => {
  const match = excludeMatcher(['var/cache/*', '/tmp', 'usr/share/doc/?[ab]*']);
  it.each([
    ['/var/cache/apt', true],
    ['/var/cache/apt/pkgcache.bin', true],
    ['/var/cache', false],
    ['/tmp', true],
    ['/tmp/x', true],
    ['/tmpx', false],
    ['/usr/share/doc/xa-file/README', true],
    ['/usr/share/doc/xc', false],
  ])('%s -> %s', (path, expected) => {
    expect(match(path)).toBe(expected);
  });
});

describe('ProgressParser', () => {
  it('reads \\r-redrawn bars split across chunks and -percentage lines, once per value, increasing', () => {
    const seen: number[] = [];
    const parser = new ProgressParser((e) => seen.push(e.percent));
    parser.push('Parallel mksquashfs: Using 2 processors\n\r[|     ] 0/3   0%\r[==');
    parser.push('=|  ] 1/3  33%\r[===|  ] 1/3  33%\r[====|] 3/3 100%\n\nExportable Squashfs 4.0\n');
    parser.push('42\n17\n');
    parser.end();
    expect(seen).toEqual([0, 33, 100]);
    const plain: number[] = [];
    const p2 = new ProgressParser((e) => plain.push(e.percent));
    p2.push('5\n50\n');
    p2.push('100');
    p2.end();
    expect(plain).toEqual([5, 50, 100]);
  });

  it('complete() reports 100% once when the output never said so (a lost last redraw), and nothing more when it did', () => {
    const lost: number[] = [];
    const p1 = new ProgressParser((e) => lost.push(e.percent));
    p1.push('Parallel mksquashfs: Using 2 processors\nExportable Squashfs 4.0\n');
    p1.end();
    p1.complete();
    p1.complete();
    expect(lost).toEqual([100]);
    const said: number[] = [];
    const p2 = new ProgressParser((e) => said.push(e.percent));
    p2.push('\r[====|] 3/3 100%\n');
    p2.end();
    p2.complete();
    expect(said).toEqual([100]);
  });
});

describe('planPseudoDefinitions', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pseudo-'));
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc/shadow'), '', { mode: 0o644 });
    await writeFile(join(root, 'etc/pass"wd\\'), '');
    await symlink('usr/bin', join(root, 'bin'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));
  const ctx = (xattrPseudo: boolean) => ({
    source: root,
    time: 7,
    isExcluded: () => false,
    tool: { version: xattrPseudo ? '4.6.1' : '4.5.1', xattrPseudo },
  });

  it('emits m for on-disk paths (missing fields from disk), creates parents, root via -root-*', async () => {
    const manifest = mergeManifest(emptyManifest(), [
      { path: '/', mode: 0o755, uid: 0, gid: 0 },
      { path: '/etc/shadow', gid: 42 },
      { path: '/etc/pass"wd\\', mode: 0o600 },
      { path: '/a/b/fifo', type: 'fifo' },
      { path: '/a/sock', type: 'socket', uid: 3 },
    ]);
    const plan = await planPseudoDefinitions(manifest, ctx(false));
    const uid = process.getuid?.() ?? 0;
    expect(plan.rootArgs).toEqual(['-root-mode', '0755', '-root-uid', '0', '-root-gid', '0']);
    expect(plan.lines).toEqual([
      '"a" D 7 755 0 0',
      '"a/b" D 7 755 0 0',
      '"a/b/fifo" I 7 0644 0 0 f',
      '"a/sock" I 7 0644 3 0 s',
      `"etc/pass\\"wd\\\\" m 0600 ${uid} ${process.getgid?.() ?? 0}`,
      `"etc/shadow" m 0644 ${uid} 42`,
    ]);
  });

  it('on 4.6 turns caps into a security.capability xattr definition', async () => {
    const manifest = mergeManifest(emptyManifest(), [{ path: '/etc/shadow', caps: 'cap_net_raw=ep' }]);
    const plan = await planPseudoDefinitions(manifest, ctx(true));
    expect(plan.usesXattrs).toBe(true);
    expect(plan.lines).toEqual([
      `"etc/shadow" x security.capability=0x${encodeFileCapabilities('cap_net_raw=ep').toString('hex')}`,
    ]);
  });

  it('a symlink target that disagrees with the disk is a mismatch', async () => {
    const manifest = mergeManifest(emptyManifest(), [{ path: '/bin', type: 'symlink', target: 'elsewhere' }]);
    await expect(planPseudoDefinitions(manifest, ctx(false))).rejects.toMatchObject({ code: 'ERR_MANIFEST_MISMATCH' });
  });
});
