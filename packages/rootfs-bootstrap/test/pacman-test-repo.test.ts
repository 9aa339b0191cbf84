import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
    const ours = (await Promise.all(repo.repos.map((r) => readPacmanSyncDatabaseFile(r.db, r.name)))).flatMap((db) => db.packages.map((p) => `${p.repo} ${p.name} ${p.version}`));
    expect(ours.sort()).toEqual(listed);
  });

  it('installs with pacman -S; the local database pacman writes from .PKGINFO states the table\'s relations; -Qkk is clean', () => {
    const targets = ['base', 'app', 'vim', 'nano', 'xorg-xinit', 'needs-oldtool', 'conflict-b'];
    const install = runPacman(s, ['-S', ...targets]);
    expect(install.status, install.stderr).toBe(0);
    const installed = runPacman(s, ['-Q']).stdout.trim().split('\n');
    expect(installed.length).toBeGreaterThan(targets.length);
    const names = installed.map((line) => line.split(' ')[0]!);
    const info = runPacman(s, ['-Qi', ...names]).stdout.trim().split(/\n\n+/);
    for (const block of info) {
      const name = /^Name\s+: (.*)$/m.exec(block)![1]!;
      const pkg = repo.packages.find((p) => p.name === name && `${p.name} ${p.version}` === installed.find((l) => l.startsWith(`${name} `)))!;
      const field = (key: string): string => new RegExp(`^${key}\\s+: (.*)$`, 'm').exec(block)![1]!.trim();
      const list = (values: readonly string[] | undefined): string => (values?.length ? values.join('  ') : 'None');
      expect({ name, depends: field('Depends On'), provides: field('Provides'), conflicts: field('Conflicts With'), replaces: field('Replaces'), groups: field('Groups'), arch: field('Architecture') })
        .toEqual({ name, depends: list(pkg.depends), provides: list(pkg.provides), conflicts: list(pkg.conflicts), replaces: list(pkg.replaces), groups: list(pkg.groups), arch: pkg.arch ?? 'x86_64' });
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
});
