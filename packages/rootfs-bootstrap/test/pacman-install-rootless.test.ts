import { execa } from 'execa';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PacmanBootstrapResult } from '../src/index.js';
import { bundleScript } from '../../../tools/testing/bundle-script.mjs';
import { ordinaryUser, type OrdinaryUser } from '../../../tools/testing/ordinary-user.mjs';
import { readableCopy } from '../../../tools/testing/readable-copy.mjs';
import type { PacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { pacmanTestRepo } from './pacman-fixtures.js';
import {
  INSTALL_REQUEST,
  localDatabase,
  manifestOwners,
  pacmanInstall,
  pacmanQuery,
  treeSnapshot,
} from './pacman-install-helpers.js';

// The namespace path as an ordinary user (the tests create one when they run as root): the same
// tree, owners in the manifest and local database as Debian's pacman run by root.
describe('bootstrapPacman as an ordinary user', () => {
  let user: OrdinaryUser;
  let repo: PacmanTestRepo;
  let oracle: ReturnType<typeof pacmanInstall>;
  let probe: { file: string; remove: () => Promise<void> };
  let work: string;
  let ours: PacmanBootstrapResult;
  beforeAll(async () => {
    user = await ordinaryUser();
    repo = await pacmanTestRepo();
    oracle = pacmanInstall(readFileSync(repo.config, 'utf8'), INSTALL_REQUEST);
    expect(oracle.status, oracle.output).toBe(0);
    probe = await bundleScript(join(import.meta.dirname, 'fixtures/pacman-bootstrap-probe.ts'));
    work = mkdtempSync(join(tmpdir(), 'pacman-rootless-'));
    chmodSync(work, 0o777);
    // The user reads the repositories from a copy: the checkout may be closed to other users.
    const options = {
      repositories: repo.repos.map((r) => ({ name: r.name, folder: readableCopy(r.dir, work, `repo-${r.name}`) })),
      include: INSTALL_REQUEST,
      target: join(work, 'root'),
      cacheDir: join(work, 'cache'),
    };
    const [command, ...args] = [...user.prefix, process.execPath, probe.file, JSON.stringify(options)] as unknown as [
      string,
      ...string[],
    ];
    const { stdout } = await execa(command, args, {
      cwd: '/',
      timeout: 240_000,
      env: { SOURCE_DATE_EPOCH: '1750000000' },
    });
    const answer = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      result?: PacmanBootstrapResult;
      code?: string;
      message?: string;
    };
    expect(answer.code, answer.message).toBeUndefined();
    ours = answer.result!;
  }, 300_000);
  afterAll(async () => {
    await probe?.remove();
    for (const dir of [oracle?.dir, work]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("gives the tree, owners (from the manifest), local database and script effects of root's pacman -S, and -Qk, -Dk are clean", () => {
    expect(Object.fromEntries(treeSnapshot(ours.target, manifestOwners(ours.manifest)))).toEqual(
      Object.fromEntries(treeSnapshot(oracle.root, (_, stats) => stats)),
    );
    expect(localDatabase(join(ours.target, 'var/lib/pacman'))).toEqual(localDatabase(oracle.dbpath));
    expect(pacmanQuery(ours.target, ['-Qk']).status).toBe(0);
    expect(pacmanQuery(ours.target, ['-Dk']).status).toBe(0);
    expect(readFileSync(join(ours.target, 'etc/hook-log'), 'utf8')).toBe(
      readFileSync(join(oracle.root, 'etc/hook-log'), 'utf8'),
    );
  });

  it('leaves every file of the tree to the user who built it', () => {
    const foreign: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const stats = lstatSync(path);
        if (stats.uid !== user.uid || stats.gid !== user.gid) foreign.push(`${path} ${stats.uid}:${stats.gid}`);
        if (stats.isDirectory()) walk(path);
      }
    };
    walk(ours.target);
    expect(foreign).toEqual([]);
  });
});
