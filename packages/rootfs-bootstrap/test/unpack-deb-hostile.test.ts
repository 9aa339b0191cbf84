// Hostile data tarballs (built here byte by byte: dpkg-deb refuses them) against unpackDeb, as
// root with chown: links, symlinks and directories swapped under the unpacker, names that climb
// out, and lengths that would make it allocate. Each is refused with a typed error or unpacked
// inside the root, and a sentinel beside the root keeps its content, mode and owner.
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownersToAssign, unpackIntoDpkgDatabase } from '../src/apt/dpkg/unpack.js';
import { assignOwners, prepareUserNamespace } from '@distroforge/core';
import type { PackageCandidate } from '../src/package-candidate.js';
import { unpackDeb } from '../src/apt/deb/unpack.js';
import { gzipSync } from 'node:zlib';
import { readDebControlArchive } from '../src/apt/deb/control-archive.js';
import { compress, craftedDeb, paxHeader, tarball, tarMember, tarOf, type TarMember } from './deb-builder.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-hostile-deb-'));
const sentinelDir = join(work, 'sentinel');
const sentinel = join(sentinelDir, 'secret');
// Roots are <work>/roots/<name>: `../../sentinel` from a root's top reaches the sentinel on the host.
const up = '../../sentinel';

beforeAll(() => {
  mkdirSync(sentinelDir, { mode: 0o700 });
  writeFileSync(sentinel, 'secret\n', { mode: 0o600 });
  mkdirSync(join(work, 'roots'));
  mkdirSync(join(work, 'debs'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Everything about the sentinel and the root's surroundings that a write outside the root would change. */
function outside() {
  const dir = statSync(sentinelDir);
  const file = lstatSync(sentinel);
  return {
    names: readdirSync(sentinelDir),
    content: readFileSync(sentinel, 'utf8'),
    file: { mode: file.mode, uid: file.uid, gid: file.gid, ino: file.ino, nlink: file.nlink },
    dir: { mode: dir.mode, uid: dir.uid, gid: dir.gid },
    work: readdirSync(work).sort(),
  };
}

interface HostileCase {
  name: string;
  data: Buffer;
  /** A typed refusal with this code, or what the unpacked root must look like. */
  expect: { code: string } | ((root: string) => void);
}

const members = (list: TarMember[]) => tarOf(list);
const dir = (path: string, mode = 0o755): TarMember => ({ path, type: 'Directory', mode });
const file = (path: string, body = 'pwned\n', mode = 0o644): TarMember => ({ path, body, mode });
const symlink = (path: string, linkpath: string): TarMember => ({ path, type: 'SymbolicLink', linkpath });
const hardlink = (path: string, linkpath: string): TarMember => ({ path, type: 'Link', linkpath });

/** A File header whose size field is base-256 `bytes` (GNU's encoding for sizes over 8 GiB), checksum fixed. */
function base256Size(bytes: number[]): Buffer {
  const block = tarMember(file('./big', '')).subarray(0, 512);
  block.fill(0, 124, 136);
  Buffer.from(bytes).copy(block, 124 + 12 - bytes.length);
  block[124] = block[124]! | 0x80;
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

const cases: HostileCase[] = [
  {
    name: 'a file, then a symlink of that name to a host file, then a hard link to it',
    data: members([file('./a', 'inside\n'), symlink('./a', sentinel), hardlink('./b', './a')]),
    expect: (root) => {
      // link(2) links the symlink itself, as dpkg's; nothing links the host file.
      expect(readlinkSync(join(root, 'b'))).toBe(sentinel);
      expect(lstatSync(join(root, 'b')).ino).not.toBe(lstatSync(sentinel).ino);
    },
  },
  {
    name: 'a symlink to a host directory (absolute), then a file through it',
    data: members([symlink('./s', sentinelDir), file('./s/secret')]),
    expect: { code: 'ERR_BOOTSTRAP_UNPACK_WRITE' }, // the target is read inside the root, where it does not exist
  },
  {
    name: 'a symlink climbing to the host directory (relative), then a file through it',
    data: members([symlink('./s', up), file('./s/secret')]),
    expect: { code: 'ERR_BOOTSTRAP_UNPACK_WRITE' },
  },
  {
    name: 'a symlink over an existing file, then a file of that name again',
    data: members([file('./f', 'first\n'), symlink('./f', sentinel), file('./f', 'second\n')]),
    expect: (root) => {
      expect(lstatSync(join(root, 'f')).isFile()).toBe(true);
      expect(readFileSync(join(root, 'f'), 'utf8')).toBe('second\n');
    },
  },
  {
    name: 'a directory replaced by a symlink to a host directory',
    data: members([dir('./d/', 0o777), file('./d/x'), symlink('./d', sentinelDir)]),
    expect: (root) => expect(readlinkSync(join(root, 'd'))).toBe(sentinelDir),
  },
  {
    name: 'a directory replaced by a symlink climbing out, then a file under it',
    data: members([dir('./d/', 0o777), symlink('./d', up), file('./d/secret')]),
    expect: { code: 'ERR_BOOTSTRAP_UNPACK_WRITE' },
  },
  {
    name: 'a directory replaced by a symlink to the root, then a directory and a file under it',
    data: members([
      dir('./d/'),
      file('./d/x'),
      symlink('./d', '/'),
      dir('./d/etc/', 0o700),
      file('./d/etc/y', 'inside\n'),
    ]),
    expect: (root) => {
      expect(readFileSync(join(root, 'etc/y'), 'utf8')).toBe('inside\n');
      expect(statSync(join(root, 'etc')).mode & 0o7777).toBe(0o700);
    },
  },
  {
    name: 'a symlink to a host directory, then a directory member of that name',
    data: members([symlink('./l', sentinelDir), dir('./l/', 0o777)]),
    // The symlink leads nowhere inside the root: it is replaced by the directory.
    expect: (root) => expect(lstatSync(join(root, 'l')).isDirectory()).toBe(true),
  },
  {
    name: 'a symlink climbing out, then a directory member of that name',
    data: members([symlink('./l', up), dir('./l/', 0o777)]),
    expect: (root) => expect(lstatSync(join(root, 'l')).isDirectory()).toBe(true),
  },
  {
    name: 'a symlink to .. and one to /, then members under them',
    data: members([
      symlink('./up', '..'),
      symlink('./abs', '/'),
      file('./up/escaped', 'up\n'),
      dir('./abs/etc/'),
      file('./abs/etc/x', 'abs\n'),
      file('./up/up/up/deep', 'deep\n'),
    ]),
    expect: (root) => {
      expect(readFileSync(join(root, 'escaped'), 'utf8')).toBe('up\n');
      expect(readFileSync(join(root, 'etc/x'), 'utf8')).toBe('abs\n');
      expect(readFileSync(join(root, 'deep'), 'utf8')).toBe('deep\n');
    },
  },
  {
    name: 'a hard link to a symlink to a host directory, then a directory member of its name',
    data: members([symlink('./s', sentinelDir), hardlink('./h', './s'), dir('./h/', 0o777)]),
    expect: (root) => expect(lstatSync(join(root, 'h')).isDirectory()).toBe(true),
  },
  {
    name: 'a hard link to a symlink climbing out, then a file through it',
    data: members([symlink('./s', up), hardlink('./h', './s'), file('./h/secret')]),
    expect: { code: 'ERR_BOOTSTRAP_UNPACK_WRITE' },
  },
  {
    name: 'a hard link to the host file through a symlinked parent',
    data: members([symlink('./p', up), hardlink('./h', './p/secret')]),
    expect: { code: 'ERR_BOOTSTRAP_UNPACK_WRITE' },
  },
  {
    name: 'a hard link naming the host file by its absolute path',
    data: members([hardlink('./h', sentinel)]),
    expect: { code: 'ERR_BOOTSTRAP_UNPACK_WRITE' },
  },
  {
    name: 'a symlink loop, then a file through it (ELOOP, as the kernel would answer)',
    data: members([symlink('./a', 'b'), symlink('./b', '/a'), file('./a/x')]),
    expect: { code: 'ERR_BOOTSTRAP_UNSAFE_PATH' },
  },
  {
    name: 'links through links (relative, absolute, climbing) then a file: it lands where the chain ends, inside the root',
    data: members([
      dir('./real/'),
      symlink('./l1', 'l2'),
      symlink('./l2', '/l3'),
      symlink('./l3', '../../../real'),
      file('./l1/x', 'chained\n'),
    ]),
    expect: (root) => expect(readFileSync(join(root, 'real/x'), 'utf8')).toBe('chained\n'),
  },
  { name: 'a member named ../x', data: members([file('../x')]), expect: { code: 'ERR_BOOTSTRAP_UNSAFE_PATH' } },
  {
    name: 'a member named ./a/../../x',
    data: members([dir('./a/'), file('./a/../../x')]),
    expect: { code: 'ERR_BOOTSTRAP_UNSAFE_PATH' },
  },
  {
    name: 'a hard link to ../../sentinel/secret',
    data: members([hardlink('./h', `${up}/secret`)]),
    expect: { code: 'ERR_BOOTSTRAP_UNSAFE_PATH' },
  },
  {
    name: 'a member named /x (absolute) lands in the root',
    data: members([file('/x', 'abs\n')]),
    expect: (root) => expect(readFileSync(join(root, 'x'), 'utf8')).toBe('abs\n'),
  },
  {
    name: 'a pax path of 200 KiB (over the pax header limit)',
    data: tarball([paxHeader({ path: `${'d/'.repeat(100 * 1024)}x` }), tarMember(file('./short'))]),
    expect: { code: 'ERR_BOOTSTRAP_DEB_FORMAT' },
  },
  {
    name: 'a pax header declaring 8 GiB',
    data: tarball([paxHeader({ path: './x' }, 8 * 1024 ** 3 - 1), tarMember(file('./short'))]),
    expect: { code: 'ERR_BOOTSTRAP_DEB_FORMAT' },
  },
  {
    name: 'a pax path of 5,000 bytes (over PATH_MAX)',
    data: tarball([paxHeader({ path: `./${'p'.repeat(5000)}` }), tarMember(file('./short'))]),
    expect: { code: 'ERR_BOOTSTRAP_DEB_FORMAT' },
  },
  {
    name: 'a pax linkpath of 5,000 bytes',
    data: tarball([paxHeader({ linkpath: 'l'.repeat(5000) }), tarMember(symlink('./s', 'short'))]),
    expect: { code: 'ERR_BOOTSTRAP_DEB_FORMAT' },
  },
  {
    name: 'a file declaring 8 GiB with a few bytes of data',
    data: tarball([tarMember({ path: './big', body: 'tiny', size: 8 * 1024 ** 3 - 1 })]),
    expect: { code: 'ERR_BOOTSTRAP_DEB_FORMAT' },
  },
  {
    name: 'a file declaring a base-256 size beyond 2^53',
    data: tarball([base256Size([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), Buffer.alloc(512)]),
    expect: { code: 'ERR_BOOTSTRAP_DEB_FORMAT' },
  },
  {
    name: 'a data tarball that is itself gzip-compressed (node-tar would unpack a second layer)',
    data: gzipSync(members([file('./nested', 'nested\n')])),
    expect: { code: 'ERR_BOOTSTRAP_DEB_FORMAT' },
  },
  {
    name: 'a data tarball that is itself zstd-compressed',
    data: compress(members([file('./nested', 'nested\n')]), 'zst'),
    expect: { code: 'ERR_BOOTSTRAP_DEB_FORMAT' },
  },
  {
    name: 'a pax path with a NUL byte is cut at the NUL, as tar reads it',
    data: tarball([paxHeader({ path: './a\0/../../x' }), tarMember(file('./short', 'cut\n'))]),
    expect: (root) => {
      expect(readFileSync(join(root, 'a'), 'utf8')).toBe('cut\n');
      expect(readdirSync(root).sort()).toEqual(['a', 'bin', 'usr']);
    },
  },
];

describe('unpackDeb against hostile data tarballs (as root, chown)', () => {
  it.each(cases.map((c, i) => [c.name, i] as const))('%s', async (_name, index) => {
    const c = cases[index]!;
    const before = outside();
    const root = join(work, 'roots', `case-${index}`);
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    symlinkSync('usr/bin', join(root, 'bin'));
    const deb = join(work, 'debs', `case-${index}.deb`);
    writeFileSync(deb, craftedDeb(c.data));
    const outcome = await unpackDeb(deb, root, { chown: true }).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (typeof c.expect === 'function') {
      expect(outcome).toBeUndefined();
      c.expect(root);
    } else {
      expect(outcome).toMatchObject({ code: c.expect.code, hint: expect.any(String) });
    }
    expect(outside()).toEqual(before);
  });
});

describe('unpackIntoDpkgDatabase with a stat override in force', () => {
  it('does not chmod through a symlink the package ships at the overridden path', async () => {
    const before = outside();
    const root = join(work, 'roots', 'statoverride');
    for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'etc', 'usr/bin'])
      mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'var/lib/dpkg/status'), '');
    for (const f of ['passwd', 'group']) writeFileSync(join(root, 'etc', f), readFileSync(join('/etc', f)));
    writeFileSync(
      join(root, 'var/lib/dpkg/statoverride'),
      'root root 4777 /usr/bin/tool\nroot root 4755 /usr/bin/real\n',
    );
    const deb = join(work, 'debs', 'statoverride.deb');
    writeFileSync(
      deb,
      craftedDeb(
        members([
          dir('./usr/'),
          dir('./usr/bin/'),
          file('./usr/bin/real', '#!/bin/sh\n', 0o755),
          symlink('./usr/bin/tool', sentinel),
        ]),
      ),
    );
    const candidate = { name: 'crafted', version: '1.0', architecture: 'all', multiArch: 'no' } as PackageCandidate;
    const unpacked = await unpackIntoDpkgDatabase(root, [candidate], new Map([['crafted', deb]]), {
      concurrency: 1,
      owners: new Map(),
      keepExistingDirectories: true,
    });
    // The overrides are applied as a build applies them: inside its user namespace.
    const namespace = await prepareUserNamespace();
    await assignOwners(namespace, root, ownersToAssign(root, unpacked));
    expect(readlinkSync(join(root, 'usr/bin/tool'))).toBe(sentinel);
    expect(statSync(join(root, 'usr/bin/real')).mode & 0o7777).toBe(0o4755); // overrides still apply to files
    expect(outside()).toEqual(before);
  });
});

describe('readDebControlArchive bounds what it holds in memory', () => {
  const data = tarOf([{ path: './x', body: 'x' }]);
  it('refuses control members declaring more than 64 MiB in all', async () => {
    const control = tarball([
      tarMember({ path: './control', body: 'Package: x\n' }),
      tarMember({ path: './md5sums', body: 'tiny', size: 65 * 1024 ** 2 }),
    ]);
    const deb = join(work, 'debs', 'control-declared.deb');
    writeFileSync(deb, craftedDeb(data, 'gz', control));
    await expect(readDebControlArchive(deb)).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_DEB_FORMAT',
      message: expect.stringContaining('declares more than'),
    });
  });

  it.each(['gz', 'xz'] as const)('refuses a %s control tarball that expands beyond 64 MiB', async (compression) => {
    const control = tarball([
      tarMember({ path: './control', body: 'Package: x\n' }),
      tarMember({ path: './zeros', body: Buffer.alloc(65 * 1024 ** 2) }),
    ]);
    const deb = join(work, 'debs', `control-bomb-${compression}.deb`);
    writeFileSync(deb, craftedDeb(data, compression, control));
    await expect(readDebControlArchive(deb)).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_DEB_FORMAT',
      message: expect.stringMatching(/exceeded|expands beyond|larger than/),
    });
  });
});
