import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArMembers } from '../src/apt/deb/ar-archive.js';
import { readDebControlArchive } from '../src/apt/deb/control-archive.js';
import { unpackDeb } from '../src/apt/deb/unpack.js';
import { listDeb } from '../src/apt/deb/list.js';
import { ar } from './deb-builder.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-unpack-'));
const debs: Record<string, string> = {};

/** A package tree with the cases dpkg-deb can carry: nested dirs, symlinks, a hard link, owners, setuid. */
function buildFixture(): string {
  const tree = join(work, 'tree');
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  writeFileSync(
    join(tree, 'DEBIAN/control'),
    'Package: fixture\nVersion: 1.0-1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n',
  );
  mkdirSync(join(tree, 'usr/bin'), { recursive: true });
  mkdirSync(join(tree, 'usr/share/doc/fixture'), { recursive: true });
  mkdirSync(join(tree, 'bin'), { recursive: true }); // lands in /usr/bin through the merged-/usr symlink
  writeFileSync(join(tree, 'usr/bin/tool'), '#!/bin/sh\necho tool\n');
  chmodSync(join(tree, 'usr/bin/tool'), 0o4755);
  writeFileSync(join(tree, 'bin/legacy'), 'legacy\n');
  linkSync(join(tree, 'usr/bin/tool'), join(tree, 'usr/bin/tool-hardlink'));
  symlinkSync('tool', join(tree, 'usr/bin/tool-link'));
  symlinkSync('/usr/bin/tool', join(tree, 'usr/bin/tool-abs'));
  writeFileSync(join(tree, 'usr/share/doc/fixture/owned'), 'owned\n');
  chownSync(join(tree, 'usr/share/doc/fixture/owned'), 1000, 42);
  writeFileSync(join(tree, 'usr/share/doc/fixture/big'), Buffer.alloc(3 << 20, 7));
  return tree;
}

beforeAll(() => {
  const tree = buildFixture();
  for (const z of ['xz', 'zstd', 'gzip']) {
    debs[z] = join(work, `fixture-${z}.deb`);
    execFileSync('dpkg-deb', [`-Z${z}`, '--build', tree, debs[z]!], { stdio: 'ignore' });
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function freshRoot(name: string): string {
  const root = join(work, name);
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  return root;
}

describe('readArMembers', () => {
  it('lists the members of a .deb like ar t does', async () => {
    const ours = (await readArMembers(debs.xz!)).map((m) => m.name);
    const oracle = execFileSync('ar', ['t', debs.xz!], { encoding: 'utf8' }).trim().split('\n');
    expect(ours).toEqual(oracle);
  });

  it('rejects a file that is not an ar archive', async () => {
    const bogus = join(work, 'bogus.deb');
    writeFileSync(bogus, 'not an archive');
    await expect(readArMembers(bogus)).rejects.toMatchObject({ code: 'ERR_BOOTSTRAP_DEB_FORMAT' });
  });
});

describe('unpackDeb', () => {
  it.each(['xz', 'zstd', 'gzip'])('unpacks a %s package like dpkg-deb, through directory symlinks', async (z) => {
    const root = freshRoot(`root-${z}`);
    const result = await unpackDeb(debs[z]!, root, { chown: true });
    const oracle = join(work, `oracle-${z}`);
    execFileSync('dpkg-deb', ['-x', debs[z]!, oracle]);
    for (const file of ['usr/bin/tool', 'usr/share/doc/fixture/owned', 'usr/share/doc/fixture/big']) {
      expect(readFileSync(join(root, file)).equals(readFileSync(join(oracle, file))), file).toBe(true);
      expect(lstatSync(join(root, file)).mode).toBe(lstatSync(join(oracle, file)).mode);
    }
    expect(readFileSync(join(root, 'usr/bin/legacy'), 'utf8')).toBe('legacy\n');
    expect(lstatSync(join(root, 'bin')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(root, 'usr/bin/tool-link'))).toBe('tool');
    expect(readlinkSync(join(root, 'usr/bin/tool-abs'))).toBe('/usr/bin/tool');
    expect(lstatSync(join(root, 'usr/bin/tool-hardlink')).ino).toBe(lstatSync(join(root, 'usr/bin/tool')).ino);
    expect(lstatSync(join(root, 'usr/share/doc/fixture/owned'))).toMatchObject({ uid: 1000, gid: 42 });
    expect(result.manifest).toEqual(
      expect.arrayContaining([
        { path: '/usr/bin/tool', uid: 0, gid: 0, mode: 0o4755 },
        { path: '/usr/share/doc/fixture/owned', uid: 1000, gid: 42, mode: 0o644 },
      ]),
    );
    expect(result.paths).toContain('/bin/legacy');
  });

  it('refuses members that climb out of the root, before writing anything', async () => {
    const deb = join(work, 'evil.deb');
    writeFileSync(deb, evilDeb('../escaped'));
    const root = freshRoot('root-evil');
    await expect(unpackDeb(deb, root, { chown: false })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_UNSAFE_PATH',
      value: '../escaped',
    });
    expect(() => lstatSync(join(work, 'escaped'))).toThrow();
  });

  it('keeps writes through an absolute symlink inside the root', async () => {
    const root = freshRoot('root-abs');
    symlinkSync('/', join(root, 'usr/up'));
    const deb = join(work, 'abs.deb');
    writeFileSync(deb, evilDeb('usr/up/etc/confined'));
    await unpackDeb(deb, root, { chown: false });
    expect(readFileSync(join(root, 'etc/confined'), 'utf8')).toBe('evil');
  });
});

/** A .deb whose data.tar.gz holds one file at `path` (built by hand: dpkg-deb refuses such paths). */
function evilDeb(path: string): Buffer {
  const body = Buffer.from('evil');
  const header = new Header({ path, type: 'File', size: body.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 });
  const block = Buffer.alloc(512);
  header.encode(block, 0);
  const tarball = Buffer.concat([block, body, Buffer.alloc(512 - body.length), Buffer.alloc(1024)]);
  const dir = Buffer.concat([Buffer.alloc(512)]);
  const dirHeader = new Header({ path: 'etc/', type: 'Directory', size: 0, mode: 0o755, mtime: new Date(0) });
  dirHeader.encode(dir, 0);
  return ar([
    ['debian-binary', Buffer.from('2.0\n')],
    ['control.tar.gz', gzipSync(Buffer.alloc(1024))],
    ['data.tar.gz', gzipSync(Buffer.concat([dir, tarball]))],
  ]);
}

describe('readDebControlArchive', () => {
  it.each(['xz', 'zstd', 'gzip'])('reads every control member of a %s package like dpkg-deb --control', async (z) => {
    const archive = await readDebControlArchive(debs[z]!);
    const oracle = join(work, `control-${z}`);
    execFileSync('dpkg-deb', ['--control', debs[z]!, oracle]);
    expect(archive.members.map((m) => m.name).sort()).toEqual(readdirSync(oracle).sort());
    for (const member of archive.members)
      expect(member.data.equals(readFileSync(join(oracle, member.name))), member.name).toBe(true);
    expect(archive.control).toContain('Package: fixture');
  });

  it('refuses a corrupt control tarball with a typed error', async () => {
    const bogus = join(work, 'bad-control.deb');
    writeFileSync(
      bogus,
      ar([
        ['debian-binary', Buffer.from('2.0\n')],
        ['control.tar.xz', Buffer.from('not xz at all')],
        ['data.tar.xz', Buffer.alloc(0)],
      ]),
    );
    await expect(readDebControlArchive(bogus)).rejects.toMatchObject({ code: 'ERR_BOOTSTRAP_DEB_FORMAT' });
  });
});

describe('listDeb', () => {
  /** `dpkg-deb --fsys-tarfile | tar -tv --numeric-owner` as [type+permissions, uid/gid, size, path, link target]. */
  function dpkgContents(deb: string): string[][] {
    return execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -tv --numeric-owner', 'sh', deb], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map((line) => {
        const [perms, owner, size, , , ...rest] = line.split(/ +/);
        const text = rest.join(' ');
        const [path, link] = perms!.startsWith('h') ? text.split(' link to ') : text.split(' -> ');
        return [
          perms!,
          owner!,
          size!,
          path!.replace(/^\./, '').replace(/(.)\/$/, '$1'),
          (link ?? '').replace(/^\./, ''),
        ];
      });
  }
  const typeChar = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p' } as const;
  /** ls-style permissions (with s/S and t/T for setuid, setgid, sticky). */
  function permissions(mode: number): string {
    const bits = 'rwxrwxrwx'.split('').map((c, i) => ((mode >> (8 - i)) & 1 ? c : '-'));
    const special = (i: number, bit: number, on: string) => {
      if (mode & bit) bits[i] = bits[i] === 'x' ? on : on.toUpperCase();
    };
    special(2, 0o4000, 's');
    special(5, 0o2000, 's');
    special(8, 0o1000, 't');
    return bits.join('');
  }

  for (const z of ['xz', 'zstd', 'gzip']) {
    it(`lists the control fields and every member as dpkg-deb's tarball lists them (${z})`, async () => {
      const { control, files } = await listDeb(debs[z]!);
      expect(control).toMatchObject({ Package: 'fixture', Version: '1.0-1', Architecture: 'all' });
      const ours = files.map((f) => [
        typeChar[f.type] + permissions(f.mode),
        `${f.uid}/${f.gid}`,
        String(f.size),
        f.path,
        f.linkTarget ?? '',
      ]);
      expect(ours).toEqual(dpkgContents(debs[z]!));
      expect(files.find((f) => f.path === '/usr/bin/tool')).toMatchObject({ type: 'file', mode: 0o4755, size: 20 });
    });
  }

  it('refuses a file that is not a .deb with a typed error', async () => {
    const bogus = join(work, 'not-a-deb.deb');
    writeFileSync(bogus, 'plain text\n');
    await expect(listDeb(bogus)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_BOOTSTRAP_/) });
  });
});
