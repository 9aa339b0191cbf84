import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapPacman, type PacmanBootstrapResult } from '../src/index.js';
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

const EPOCH = 1_750_000_000;

describe("bootstrapPacman equals Debian's pacman -S on the generated repository (as the test runner)", () => {
  let repo: PacmanTestRepo;
  let oracle: ReturnType<typeof pacmanInstall>;
  let work: string;
  let ours: PacmanBootstrapResult;
  const saved = process.env.SOURCE_DATE_EPOCH;
  beforeAll(async () => {
    repo = await pacmanTestRepo();
    oracle = pacmanInstall(readFileSync(repo.config, 'utf8'), INSTALL_REQUEST);
    expect(oracle.status, oracle.output).toBe(0);
    work = mkdtempSync(join(tmpdir(), 'pacman-install-'));
    process.env.SOURCE_DATE_EPOCH = String(EPOCH);
    ours = await bootstrapPacman({
      repositories: repo.repos.map((r) => ({ name: r.name, folder: r.dir })),
      include: INSTALL_REQUEST,
      target: join(work, 'root'),
      cacheDir: join(work, 'cache'),
    });
  }, 300_000);
  afterAll(() => {
    if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = saved;
    for (const dir of [oracle?.dir, work]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs the same packages in the same order', () => {
    const installed = [...oracle.log.matchAll(/\[ALPM\] installed (\S+) \((\S+)\)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(ours.packages.map((p) => `${p.name} ${p.version}`)).toEqual(installed);
  });

  it('gives the same file tree: types, modes, owners (ours from the manifest), symlink targets and contents, scriptlet and hook effects included', () => {
    const theirs = treeSnapshot(oracle.root, (_, stats) => stats);
    const mine = treeSnapshot(ours.target, manifestOwners(ours.manifest));
    expect(Object.fromEntries(mine)).toEqual(Object.fromEntries(theirs));
    expect(theirs.get('var/lib/accounts')).toBe('dir 750 900:900');
    expect(theirs.get('usr/bin/acct-tool')).toMatch(/^file 4755 0:0 /);
  });

  it('writes the local database pacman writes (INSTALLDATE aside), with reasons, backup MD5s, mtree, install and changelog; INSTALLDATE is SOURCE_DATE_EPOCH', () => {
    expect(localDatabase(join(ours.target, 'var/lib/pacman'))).toEqual(localDatabase(oracle.dbpath));
    const desc = readFileSync(join(ours.target, 'var/lib/pacman/local/glibc-2.39-2/desc'), 'utf8');
    expect(desc).toContain(`%INSTALLDATE%\n${EPOCH}\n`);
    expect(desc).toContain('%REASON%\n1\n');
    expect(readFileSync(join(ours.target, 'var/lib/pacman/local/accounts-1.0-1/files'), 'utf8')).toMatch(
      /%BACKUP%\netc\/passwd\t[0-9a-f]{32}\n/,
    );
  });

  it('builds the same tree again from the repositories served over http ($repo in the server URL): contents, modes, owners, times (clamped to SOURCE_DATE_EPOCH) and database alike', async () => {
    const server = createServer((request, response) => {
      const path = join(repo.dir, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
      if (!path.startsWith(repo.dir) || !existsSync(path)) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-length': statSync(path).size });
      createReadStream(path).pipe(response);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const port = (server.address() as AddressInfo).port;
      const again = await bootstrapPacman({
        repositories: repo.repos.map((r) => ({ name: r.name, server: `http://127.0.0.1:${port}/$repo` })),
        include: INSTALL_REQUEST,
        target: join(work, 'again'),
        cacheDir: join(work, 'cache-http'),
      });
      const snapshot = (result: PacmanBootstrapResult) =>
        Object.fromEntries(
          treeSnapshot(result.target, manifestOwners(result.manifest), { times: true, database: true }),
        );
      expect(snapshot(again)).toEqual(snapshot(ours));
      expect(again.manifest).toEqual(ours.manifest);
      const newest = Math.max(
        ...[...treeSnapshot(ours.target, () => ({ uid: 0, gid: 0 }), { times: true, database: true }).values()].map(
          (line) => Number(/@(\d+)$/.exec(line)![1]),
        ),
      );
      expect(newest).toBeLessThanOrEqual(EPOCH);
    } finally {
      server.close();
    }
  });

  it('is clean for pacman -Q, -Qk and -Dk on the result', () => {
    const q = pacmanQuery(ours.target, ['-Q']);
    expect(q.status, q.output).toBe(0);
    expect(q.output.trim().split('\n').sort()).toEqual(ours.packages.map((p) => `${p.name} ${p.version}`).sort());
    const qk = pacmanQuery(ours.target, ['-Qk']);
    expect(qk.status, qk.output).toBe(0);
    expect(qk.output).toMatch(/0 missing files/);
    const dk = pacmanQuery(ours.target, ['-Dk']);
    expect(dk.status, dk.output).toBe(0);
  });

  it('ran pre_install before the files and post_install after, and the hooks in name order with their targets on stdin; the override by name and the /dev/null mask held', () => {
    expect(readFileSync(join(ours.target, 'etc/script-log'), 'utf8')).toBe(
      'pre_install 1.0-1: passwd absent\npost_install 1.0-1\n',
    );
    expect(readFileSync(join(ours.target, 'etc/hook-log'), 'utf8')).toBe(
      [
        '40-packages: accounts',
        '40-packages: hooked',
        '40-packages: sh-runtime',
        '45-override: etc',
        '50-paths: usr/share/hooked/',
        '50-paths: usr/share/hooked/a',
        '50-paths: usr/share/hooked/b',
        '80-stdin: without targets 0',
        '',
      ].join('\n'),
    );
    expect(ours.hooks.map((h) => `${h.name} ${h.status}`)).toEqual([
      '40-packages.hook ran',
      '45-override.hook ran',
      '50-paths.hook ran',
      '80-stdin.hook ran',
    ]);
    expect(ours.scriptlets.map((s) => `${s.package} ${s.function} ${s.status}`)).toEqual([
      'accounts pre_install ran',
      'accounts post_install ran',
    ]);
    expect(ours.packages.find((p) => p.name === 'app')).toMatchObject({ reason: 'explicit', validation: ['sha256'] });
    expect(ours.packages.find((p) => p.name === 'glibc')).toMatchObject({ reason: 'dependency' });
  });
});
