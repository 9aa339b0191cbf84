// The bootable set (base linux) and the repository's largest request installed with bootstrapPacman
// equal Debian's pacman -S: no package has anything to run, so no user namespace is used.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { bootstrapPacman } from '../src/index.js';
import { pacmanTestRepo } from './pacman-fixtures.js';
import { localDatabase, manifestOwners, pacmanInstall, treeSnapshot } from './pacman-install-helpers.js';

const EPOCH = 1_750_000_000;
const REQUESTS = [
  ['base', 'linux'],
  ['base', 'linux', 'app', 'editors', 'xorg', 'needs-oldtool', 'needs-vi', 'libfoo-ng', 'conflict-b'],
];

describe("bootstrapPacman equals Debian's pacman -S for the bootable set", () => {
  let repo: PacmanTestRepo;
  let work: string;
  const oracles: string[] = [];
  const saved = process.env.SOURCE_DATE_EPOCH;
  beforeAll(async () => {
    repo = await pacmanTestRepo();
    work = mkdtempSync(join(tmpdir(), 'pacman-install-boot-'));
    process.env.SOURCE_DATE_EPOCH = String(EPOCH);
  }, 300_000);
  afterAll(() => {
    if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = saved;
    for (const dir of [work, ...oracles]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [k, request] of REQUESTS.entries()) {
    it(`${request.join(' ')}: the same packages in the same order, tree (types, modes, owners, links, contents) and local database`, async () => {
      const oracle = pacmanInstall(readFileSync(repo.config, 'utf8'), request);
      oracles.push(oracle.dir);
      expect(oracle.status, oracle.output).toBe(0);
      const ours = await bootstrapPacman({
        repositories: repo.repos.map((r) => ({ name: r.name, folder: r.dir })),
        include: request,
        target: join(work, `root-${k}`),
        cacheDir: join(work, 'cache'),
      });
      const installed = [...oracle.log.matchAll(/\[ALPM\] installed (\S+) \((\S+)\)/g)].map((m) => `${m[1]} ${m[2]}`);
      expect(ours.packages.map((p) => `${p.name} ${p.version}`)).toEqual(installed);
      expect(ours.scriptlets).toEqual([]);
      expect(ours.hooks).toEqual([]);
      const theirs = treeSnapshot(oracle.root, (_, stats) => stats);
      const mine = treeSnapshot(ours.target, manifestOwners(ours.manifest));
      // pacman's database is in the scratch dbpath, outside its root: only ours has var/lib (for var/lib/pacman).
      expect(mine.get('var/lib')).toBe('dir 755 0:0');
      mine.delete('var/lib');
      expect(Object.fromEntries(mine)).toEqual(Object.fromEntries(theirs));
      expect(theirs.get('root')).toBe('dir 750 0:0');
      expect(theirs.get('tmp')).toBe('dir 1777 0:0');
      expect(localDatabase(join(ours.target, 'var/lib/pacman'))).toEqual(localDatabase(oracle.dbpath));
    }, 300_000);
  }
});
