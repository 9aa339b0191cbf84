import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPacmanSyncDatabaseFile } from '../src/pacman/sync-database.js';
import { pacmanTestRepo } from './pacman-fixtures.js';
import { pacmanScratch, runPacman, useRepositoryConfig, type PacmanScratch } from './pacman-oracle.js';
import type { PacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';

// Debian's pacman proves the generated repository right: it syncs the databases, installs
// packages from them and finds its local database and the files consistent with .MTREE.
describe('tools/pacman-test-repo', () => {
  let repo: PacmanTestRepo;
  let s: PacmanScratch;
  beforeAll(async () => {
    repo = await pacmanTestRepo();
    s = pacmanScratch();
    useRepositoryConfig(s, readFileSync(repo.config, 'utf8'));
    const sync = runPacman(s, ['-Sy']);
    expect(sync.stderr).not.toMatch(/error/i);
    expect(sync.status).toBe(0);
  }, 120_000);
  afterAll(() => s && rmSync(s.dir, { recursive: true, force: true }));

  it('has databases that pacman lists exactly as the package table, and that our reader reads alike', async () => {
    const listed = runPacman(s, ['-Sl']).stdout.trim().split('\n').sort();
    expect(listed).toEqual(repo.packages.map((p) => `${p.repo} ${p.name} ${p.version}`).sort());
    const ours = (await Promise.all(repo.repos.map((r) => readPacmanSyncDatabaseFile(r.db, r.name)))).flatMap((db) =>
      db.packages.map((p) => `${p.repo} ${p.name} ${p.version}`),
    );
    expect(ours.sort()).toEqual(listed);
  });

  it("installs with pacman -S; the local database pacman writes from .PKGINFO states the table's relations; -Qkk is clean", () => {
    const targets = ['base', 'app', 'vim', 'nano', 'xorg-xinit', 'needs-oldtool', 'conflict-b'];
    const install = runPacman(s, ['-S', ...targets]);
    expect(install.status, install.stderr).toBe(0);
    const installed = runPacman(s, ['-Q']).stdout.trim().split('\n');
    expect(installed.length).toBeGreaterThan(targets.length);
    const names = installed.map((line) => line.split(' ')[0]!);
    const info = runPacman(s, ['-Qi', ...names])
      .stdout.trim()
      .split(/\n\n+/);
    for (const block of info) {
      const name = /^Name\s+: (.*)$/m.exec(block)![1]!;
      const pkg = repo.packages.find(
        (p) => p.name === name && `${p.name} ${p.version}` === installed.find((l) => l.startsWith(`${name} `)),
      )!;
      const field = (key: string): string => new RegExp(`^${key}\\s+: (.*)$`, 'm').exec(block)![1]!.trim();
      const list = (values: readonly string[] | undefined): string => (values?.length ? values.join('  ') : 'None');
      expect({
        name,
        depends: field('Depends On'),
        provides: field('Provides'),
        conflicts: field('Conflicts With'),
        replaces: field('Replaces'),
        groups: field('Groups'),
        arch: field('Architecture'),
      }).toEqual({
        name,
        depends: list(pkg.depends),
        provides: list(pkg.provides),
        conflicts: list(pkg.conflicts),
        replaces: list(pkg.replaces),
        groups: list(pkg.groups),
        arch: pkg.arch ?? 'x86_64',
      });
    }
    const check = runPacman(s, ['-Qkk']);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/0 altered files/);
    expect(lstatSync(join(s.root, 'usr/bin/app')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(s.root, 'bin'))).toBe('usr/bin');
    expect(existsSync(join(s.root, 'usr/share/zlib/VERSION'))).toBe(true);
    // The dependency check of pacman's own database is clean too.
    expect(runPacman(s, ['-Dk']).status).toBe(0);
  }, 120_000);

  it("installs the bootable set with pacman -S base linux: Arch's kernel layout, busybox init on ttyS0, accounts, host name; -Qkk and -Dk clean", () => {
    const root = pacmanScratch([], 'pacman-test-repo-boot-');
    try {
      useRepositoryConfig(root, readFileSync(repo.config, 'utf8'));
      expect(runPacman(root, ['-Sy']).status).toBe(0);
      const install = runPacman(root, ['-S', ...repo.boot.request]);
      expect(install.status, install.stderr).toBe(0);
      const r = root.root;
      const v = repo.boot.kernelVersion;
      expect(statSync(join(r, 'usr/lib/modules', v, 'vmlinuz')).size).toBeGreaterThan(1 << 20);
      expect(readFileSync(join(r, 'usr/lib/modules', v, 'pkgbase'), 'utf8')).toBe('linux\n');
      expect(readdirSync(join(r, 'usr/lib/modules'))).toEqual([v]);
      // The live initramfs's modules are there (their .ko files; depmod runs in the image).
      const modules = execFileSync('find', [join(r, 'usr/lib/modules', v, 'kernel'), '-name', '*.ko*'], {
        encoding: 'utf8',
      })
        .split('\n')
        .filter(Boolean)
        .map((f) => basename(f).replace(/\.ko.*$/, ''));
      for (const m of ['squashfs', 'overlay', 'isofs', 'virtio_blk', 'ext4', 'loop']) expect(modules, m).toContain(m);
      // /sbin/init and /sbin/getty are busybox through Arch's sbin -> usr/bin.
      expect(readlinkSync(join(r, 'sbin'))).toBe('usr/bin');
      expect(readlinkSync(join(r, 'sbin/init'))).toBe('busybox');
      expect(readlinkSync(join(r, 'usr/bin/getty'))).toBe('busybox');
      expect(readlinkSync(join(r, 'lib'))).toBe('usr/lib');
      expect(execFileSync(join(r, 'usr/bin/busybox'), ['--list'], { encoding: 'utf8' }).split('\n')).toEqual(
        expect.arrayContaining(['init', 'getty', 'login', 'sh', 'mount', 'modprobe', 'hostname']),
      );
      expect(readFileSync(join(r, 'etc/inittab'), 'utf8')).toMatch(
        /^ttyS0::respawn:\/sbin\/getty -L 115200 ttyS0 vt100$/m,
      );
      expect(readFileSync(join(r, 'etc/init.d/rcS'), 'utf8')).toContain('hostname -F /etc/hostname');
      expect(lstatSync(join(r, 'etc/init.d/rcS')).mode & 0o777).toBe(0o755);
      expect(readFileSync(join(r, 'etc/hostname'), 'utf8')).toBe(`${repo.boot.hostname}\n`);
      expect(readFileSync(join(r, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh$/m);
      expect(readFileSync(join(r, 'etc/shadow'), 'utf8')).toMatch(/^root::/m);
      expect(lstatSync(join(r, 'etc/shadow')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(r, 'etc/os-release'), 'utf8')).toMatch(/^PRETTY_NAME=/m);
      for (const [dir, mode] of [
        ['proc', 0o555],
        ['sys', 0o555],
        ['dev', 0o755],
        ['tmp', 0o1777],
        ['run', 0o755],
        ['root', 0o750],
      ] as const)
        expect(lstatSync(join(r, dir)).mode & 0o7777, dir).toBe(mode);
      const check = runPacman(root, ['-Qkk']);
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(runPacman(root, ['-Dk']).status).toBe(0);
      // busybox and sh-runtime both own usr/bin/sh; base-system and accounts both own etc/passwd.
      expect(runPacman(root, ['-S', 'sh-runtime']).status).not.toBe(0);
    } finally {
      rmSync(root.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
