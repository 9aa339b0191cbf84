import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDistroforgeError } from '@distroforge/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePacmanTargets } from '../src/pacman/resolve.js';
import { readPacmanSyncDatabaseFile, type PacmanSyncDatabase } from '../src/pacman/sync-database.js';
import { pacmanTestRepo } from './pacman-fixtures.js';
import { pacmanScratch, runPacman, useRepositoryConfig, type PacmanScratch } from './pacman-oracle.js';

/** Requests on the generated repository, each exercising a rule (see tools/pacman-test-repo). */
const REQUESTS: string[][] = [
  ['base'], // a meta-package: versioned deps through an epoch (zlib>=1:1.2), sh from bash's own name
  ['app'], // versioned provides (libfoo.so=2-64 not libfoo-ng's =3), two providers of sh, libcrypto.so>=3
  ['app', 'dash'], // a later target meets an earlier target's dependency (sh)
  ['dash', 'app'],
  ['sh'], // a virtual target: the first provider
  ['nano'], // in both repositories: the first repository wins though extra's is newer
  ['extra/nano'], // repo/name
  ['editors'], // a group across both repositories, a name's first repository winning
  ['xorg'],
  ['shells'],
  ['vim'],
  ['needs-vi'], // vi>=9: core's vi 1:070224 has an epoch, so it satisfies; the exact name comes first
  ['vim', 'vi'], // conflicts, vim provides vi: vi dropped
  ['needs-oldtool'], // oldtool>=1.5: oldtool 1.0 fails, newtool provides oldtool=2.0
  ['newtool', 'oldtool'], // conflict where one provides the other: oldtool dropped
  ['zlib>=1:1.3'], // a versioned target
  ['libcrypto.so'],
  ['conflict-a', 'conflict-b'], // an unresolvable conflict
  ['needs-missing'], // an unsatisfiable dependency
  ['needs-sh-version'], // sh>=1: unversioned provides do not satisfy it
  ['needs-old-zlib'], // zlib<1:1.0: the epoch makes zlib too new
  ['no-such-target'],
  ['base', 'app', 'editors', 'xorg', 'needs-oldtool'],
];

describe("resolvePacmanTargets equals Debian's pacman -Sp on the generated repository", () => {
  let databases: PacmanSyncDatabase[];
  let s: PacmanScratch;
  beforeAll(async () => {
    const repo = await pacmanTestRepo();
    databases = await Promise.all(repo.repos.map((r) => readPacmanSyncDatabaseFile(r.db, r.name)));
    s = pacmanScratch();
    useRepositoryConfig(s, readFileSync(repo.config, 'utf8'));
    expect(runPacman(s, ['-Sy']).status).toBe(0);
  }, 120_000);
  const scratches: PacmanScratch[] = [];
  afterAll(() => {
    for (const x of [s, ...scratches]) if (x) rmSync(x.dir, { recursive: true, force: true });
  });

  for (const request of REQUESTS) {
    it(`pacman -S ${request.join(' ')}`, () => {
      let ours: string[] | string;
      let removedAny = false;
      try {
        const resolution = resolvePacmanTargets(databases, request);
        ours = resolution.packages.map((p) => `${p.name} ${p.version}`).sort();
        removedAny = resolution.removed.length > 0;
      } catch (error) {
        if (!isDistroforgeError(error)) throw error;
        expect(error.code).toMatch(/^ERR_PACMAN_(UNSATISFIABLE|CONFLICT)$/);
        ours = 'error';
      }
      // pacman -Sp skips the conflict checks (pacman sets NOCONFLICTS for --print), so the
      // installed set of a real pacman -S into a fresh root is the oracle; -Sp must agree when
      // no conflict is involved.
      const fresh = pacmanScratch([], 'pacman-resolve-');
      scratches.push(fresh);
      writeFileSync(fresh.config, readFileSync(s.config, 'utf8'));
      for (const db of readdirSync(join(s.dbpath, 'sync')))
        copyFileSync(join(s.dbpath, 'sync', db), join(fresh.dbpath, 'sync', db));
      const install = runPacman(fresh, ['-S', ...request]);
      const installed = install.status === 0 ? runPacman(fresh, ['-Q']).stdout.trim().split('\n').sort() : 'error';
      expect(ours, install.stderr).toEqual(installed);
      if (ours !== 'error' && !removedAny) {
        const print = runPacman(s, ['-Sp', '--print-format', '%n %v', ...request]);
        expect(ours, print.stderr).toEqual(print.stdout.trim().split('\n').sort());
      }
    });
  }

  it('orders dependencies before their dependents and reports the chain of an unmet dependency', () => {
    const order = resolvePacmanTargets(databases, ['app']).packages.map((p) => p.name);
    expect(order.indexOf('glibc')).toBeLessThan(order.indexOf('bash'));
    expect(order.indexOf('filesystem')).toBeLessThan(order.indexOf('glibc'));
    expect(order.at(-1)).toBe('app');
    let chain: readonly string[] = [];
    try {
      resolvePacmanTargets(databases, ['needs-sh-version']);
    } catch (error) {
      chain = (error as { chain: readonly string[] }).chain;
    }
    expect(chain).toEqual(['needs-sh-version', 'sh>=1']);
    expect(
      resolvePacmanTargets(databases, ['vim', 'vi']).removed.map((r) => `${r.package.name} for ${r.for.name}`),
    ).toEqual(['vi for vim']);
  });
});
