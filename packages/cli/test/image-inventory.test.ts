// The image inventory read from a root's own package database: a Debian root written here in
// dpkg's format (merged /usr, a DEP-5 and a free-form copyright, a Multi-Arch: same package, a
// removed package's config-files), and real roots installed by rootfs-bootstrap from the generated
// pacman and RPM test repositories (tools/pacman-test-repo, tools/rpm-test-repo).
import { lstatSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { bootstrapPacman, bootstrapRpmRootfs } from '@distroforge/rootfs-bootstrap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { generateRpmTestRepo } from '../../../tools/rpm-test-repo/generate.mjs';
import { dep5Licenses } from '../src/inventory/debian-copyright.js';
import { readImageInventory, type ImageInventory } from '../src/inventory/image-inventory.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-inventory-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function put(root: string, path: string, content: string | number): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), typeof content === 'number' ? Buffer.alloc(content, 7) : content);
}

/** Every regular file of a tree with its size, walked independently of the module under test. */
function treeSizes(root: string, relative = ''): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of readdirSync(join(root, relative))) {
    const path = `${relative}/${name}`;
    const stats = lstatSync(join(root, path));
    if (stats.isDirectory()) for (const [p, n] of treeSizes(root, path)) out.set(p, n);
    else if (stats.isFile()) out.set(path, stats.size);
  }
  return out;
}

/** Packages and unowned files partition the tree's regular files exactly. */
function expectPartition(inventory: ImageInventory, root: string): void {
  const sizes = treeSizes(root);
  const listed = [...inventory.packages.flatMap((p) => p.files), ...inventory.unowned];
  expect(listed.map((f) => f.path).sort()).toEqual([...sizes.keys()].sort());
  for (const f of listed) expect(f.bytes).toBe(sizes.get(f.path));
  expect(inventory.totalBytes).toBe([...sizes.values()].reduce((a, b) => a + b, 0));
  for (const p of inventory.packages) {
    expect(p.installedBytes).toBe(p.files.reduce((n, f) => n + f.bytes, 0));
    expect(p.files.map((f) => f.path)).toEqual(p.files.map((f) => f.path).sort());
  }
}

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hello

Files: *
Copyright: 2020 Someone
License: GPL-3+

Files: lib/*
Copyright: 2021 Other
License: LGPL-2.1+ or MIT
Comment: two licences
 to choose from

License: GPL-3+
 The text.
`;

describe('a Debian root (dpkg status and info/*.list)', () => {
  it('lists installed and unpacked packages with their files through merged-/usr links, licences from DEP-5, digests by name and architecture, and the files no package owns', async () => {
    const root = join(work, 'deb');
    await put(
      root,
      'var/lib/dpkg/status',
      [
        'Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:2.10-3+b1\nSource: hello-src (2.10-3)\nMaintainer: Jane Doe <jane@example.org>\nDescription: hi\n multi-line',
        'Package: libfoo1\nStatus: install ok unpacked\nArchitecture: amd64\nMulti-Arch: same\nVersion: 1.0\nMaintainer: Foo Team <foo@example.org>',
        'Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 0.1',
        'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4',
      ].join('\n\n'),
    );
    // Recorded as /bin/hello (the package's view); on disk it is /usr/bin/hello (bin -> usr/bin).
    await put(
      root,
      'var/lib/dpkg/info/hello.list',
      '/.\n/bin\n/bin/hello\n/usr/share/doc/hello/copyright\n/usr/share/doc/hello\n',
    );
    await put(root, 'var/lib/dpkg/info/libfoo1:amd64.list', '/usr/lib/libfoo.so.1\n/usr/share/doc/libfoo1/copyright\n');
    await put(root, 'var/lib/dpkg/info/gone.list', '/etc/gone.conf\n');
    await put(root, 'var/lib/dpkg/info/base-files.list', '/etc/os-release\n/usr/share/doc/base-files/copyright\n');
    await put(root, 'usr/bin/hello', 1000);
    await symlink('usr/bin', join(root, 'bin'));
    await put(root, 'usr/share/doc/hello/copyright', DEP5);
    await put(root, 'usr/lib/libfoo.so.1', 5000);
    await put(root, 'usr/share/doc/libfoo1/copyright', 'This is free software, see /usr/share/common-licenses.\n');
    await put(root, 'usr/share/doc/base-files/copyright', 'free form\n');
    await put(root, 'etc/os-release', 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
    await put(root, 'etc/machine-id', 33);
    await put(root, 'etc/gone.conf', 4);
    const inventory = await readImageInventory(root, {
      packages: [
        { name: 'hello', architecture: 'amd64', sha256: 'a'.repeat(64) },
        { name: 'libfoo1', sha256: 'b'.repeat(64) },
      ],
    });
    expect(inventory.format).toBe('deb');
    expect(inventory.packages.map((p) => p.name)).toEqual(['base-files', 'hello', 'libfoo1']);
    const hello = inventory.packages[1]!;
    expect(hello).toMatchObject({
      version: '1:2.10-3+b1',
      architecture: 'amd64',
      license: 'GPL-3+ AND (LGPL-2.1+ or MIT)',
      sourcePackage: 'hello-src',
      supplier: 'Jane Doe <jane@example.org>',
      supplierType: 'person',
      purl: 'pkg:deb/debian/hello@1%3A2.10-3%2Bb1?arch=amd64&distro=debian-12',
      sha256: 'a'.repeat(64),
    });
    expect(hello.files.map((f) => f.path)).toEqual(['/usr/bin/hello', '/usr/share/doc/hello/copyright']);
    expect(hello.installedBytes).toBe(1000 + Buffer.byteLength(DEP5));
    const libfoo = inventory.packages[2]!;
    expect(libfoo.license).toBeUndefined();
    expect(libfoo.sha256).toBe('b'.repeat(64));
    expect(libfoo.installedBytes).toBeGreaterThan(5000);
    expect(inventory.packages[0]!.sourcePackage).toBe('base-files');
    // config-files packages have nothing installed: their leftover conffile is unowned.
    expect(inventory.unowned.map((f) => f.path)).toEqual([
      '/etc/gone.conf',
      '/etc/machine-id',
      '/var/lib/dpkg/info/base-files.list',
      '/var/lib/dpkg/info/gone.list',
      '/var/lib/dpkg/info/hello.list',
      '/var/lib/dpkg/info/libfoo1:amd64.list',
      '/var/lib/dpkg/status',
    ]);
    expectPartition(inventory, root);
    // Deterministic: the same tree reads the same.
    expect(await readImageInventory(root)).toEqual({
      ...inventory,
      packages: inventory.packages.map(({ sha256: _, ...p }) => p),
    });
  });

  it('reads DEP-5 licences only from machine-readable copyright files', () => {
    expect(dep5Licenses(DEP5)).toBe('GPL-3+ AND (LGPL-2.1+ or MIT)');
    expect(
      dep5Licenses(
        'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: MIT\n',
      ),
    ).toBe('MIT');
    expect(dep5Licenses('This package was debianized by...\n\nLicense: GPL\n')).toBeUndefined();
    expect(
      dep5Licenses(
        'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nLicense: MIT\n text\n',
      ),
    ).toBeUndefined();
  });

  it('a tree without a package database, or with one that cannot be read, is ERR_INVENTORY_UNREADABLE', async () => {
    const root = join(work, 'empty');
    await put(root, 'etc/hostname', 'x\n');
    await expect(readImageInventory(root)).rejects.toMatchObject({ code: 'ERR_INVENTORY_UNREADABLE', path: root });
    // A database that cannot be read (an entry without its desc) is the same error, naming it.
    const broken = join(work, 'broken-pacman');
    await mkdir(join(broken, 'var/lib/pacman/local/foo-1.0-1'), { recursive: true });
    await expect(readImageInventory(broken)).rejects.toMatchObject({
      code: 'ERR_INVENTORY_UNREADABLE',
      message: expect.stringMatching(/pacman package database .*foo-1\.0-1\/desc/),
    });
  });
});

describe('real roots from the generated repositories', () => {
  it('pacman: every installed package from var/lib/pacman/local with its version, licence and files', async () => {
    const repo = await generatePacmanTestRepo(join(repoRoot, '.cache', 'pacman-test-repo', 'repo'));
    const target = join(work, 'pacman');
    const result = await bootstrapPacman({
      repositories: repo.repos.map((r) => ({ name: r.name, folder: r.dir })),
      include: ['base', 'nano'],
      target,
      cacheDir: join(work, 'pacman-cache'),
    });
    const inventory = await readImageInventory(target, {
      packages: result.packages.map((p) => ({ name: p.name, sha256: p.sha256 })),
    });
    expect(inventory.format).toBe('pacman');
    expect(inventory.packages.map((p) => `${p.name} ${p.version}`)).toEqual(
      result.packages.map((p) => `${p.name} ${p.version}`).sort(),
    );
    for (const p of inventory.packages) {
      expect(p.purl).toMatch(
        new RegExp(
          `^pkg:alpm/[a-z]+/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}\\?arch=(x86_64|any)`,
        ),
      );
      expect(p.sha256).toBe(result.packages.find((r) => r.name === p.name)?.sha256);
    }
    const nano = inventory.packages.find((p) => p.name === 'nano')!;
    expect(nano.files.length).toBeGreaterThan(0);
    expect(nano.installedBytes).toBeGreaterThan(0);
    expectPartition(inventory, target);
    // The local database itself is no package's file.
    expect(inventory.unowned.some((f) => f.path.startsWith('/var/lib/pacman/local/nano-'))).toBe(true);
  }, 600_000);

  it('rpm: every package of the rpmdb (read by the host rpm from a copy, the tree untouched) with NEVRA, License, Vendor, source rpm; files two packages share are counted once', async () => {
    const repo = await generateRpmTestRepo(join(repoRoot, '.cache', 'rpm-test-repo', 'repo'));
    const target = join(work, 'rpm');
    const result = await bootstrapRpmRootfs({
      source: `rpm-dir:${repo.dir}`,
      include: ['filesystem', 'rocky-like-release', 'el-same-a', 'el-same-b', 'el-config'],
      weakDeps: false,
      architecture: 'x86_64',
      cacheDir: join(work, 'rpm-cache'),
      target,
    });
    const before = treeSizes(target);
    const inventory = await readImageInventory(target, {
      packages: result.packages.map((p) => ({ name: p.name, architecture: p.architecture, sha256: p.sha256 })),
    });
    // rpm read a copy of the database: nothing (-shm, -wal, .rpm.lock) was written into the tree.
    expect(treeSizes(target)).toEqual(before);
    expect(inventory.format).toBe('rpm');
    expect(inventory.packages.map((p) => `${p.name} ${p.version} ${p.architecture}`)).toEqual(
      result.packages.map((p) => `${p.name} ${p.version} ${p.architecture}`).sort(),
    );
    for (const p of inventory.packages) {
      expect(p.sha256).toBe(result.packages.find((r) => r.name === p.name)?.sha256);
      expect(p.purl.startsWith(`pkg:rpm/`)).toBe(true);
      expect(p.purl).toContain(`/${p.name}@`);
      expect(p.license).toBeTruthy();
      expect(p.sourcePackage).toBeTruthy();
    }
    // el-same-a and el-same-b install identical files: each path belongs to one of them only.
    const a = inventory.packages.find((p) => p.name === 'el-same-a')!;
    const b = inventory.packages.find((p) => p.name === 'el-same-b')!;
    expect(a.files.length).toBeGreaterThan(0);
    const shared = new Set(a.files.map((f) => f.path));
    expect(b.files.filter((f) => shared.has(f.path))).toEqual([]);
    expectPartition(inventory, target);
  }, 600_000);
});
