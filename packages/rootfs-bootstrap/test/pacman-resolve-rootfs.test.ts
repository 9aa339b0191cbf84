import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapPacman,
  type PacmanRepository,
  pacmanBootstrapOptionsSchema,
  pacmanResolveOptionsSchema,
  resolvePacmanRootfs,
} from '../src/index.js';
import { pacmanTestRepo } from './pacman-fixtures.js';
import { type PacmanScratch, pacmanScratch, runPacman, useRepositoryConfig } from './pacman-oracle.js';

/**
 * Requests that resolve without a conflict dropping a package (pacman -Sp skips the conflict
 * checks; those and the failing requests are pacman-resolve.test.ts's, against a real install).
 */
const REQUESTS: string[][] = [
  ['base'],
  ['app'],
  ['shells'],
  ['xorg', 'nano'],
  ['extra/nano'],
  ['needs-oldtool'],
  ['vim', 'needs-vi'],
  ['base', 'app', 'xorg', 'needs-oldtool', 'vim'],
  ['accounts', 'hooked', 'app'],
];

describe('resolvePacmanRootfs', () => {
  let repositories: PacmanRepository[];
  let s: PacmanScratch;
  const temps: string[] = [];
  beforeAll(async () => {
    const repo = await pacmanTestRepo();
    repositories = repo.repos.map((r) => ({ name: r.name, server: pathToFileURL(r.dir).href }));
    s = pacmanScratch();
    useRepositoryConfig(s, readFileSync(repo.config, 'utf8'));
    expect(runPacman(s, ['-Sy']).status).toBe(0);
  }, 120_000);
  afterAll(() => {
    for (const d of [s?.dir, ...temps]) if (d) rmSync(d, { recursive: true, force: true });
  });

  for (const include of REQUESTS) {
    it(`equals Debian's pacman -Sp --print-format '%n %v' ${include.join(' ')}`, async () => {
      const { packages } = await resolvePacmanRootfs({ repositories, include });
      const print = runPacman(s, ['-Sp', '--print-format', '%n %v', ...include]);
      expect(print.status, print.stderr).toBe(0);
      expect(packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual(print.stdout.trim().split('\n').sort());
    });
  }

  it('reports repository, filename, SHA-256, architecture and reason, from the databases, downloading nothing', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'pacman-resolve-cache-'));
    temps.push(cacheDir);
    const { packages } = await resolvePacmanRootfs({ repositories, include: ['app', 'filesystem'], cacheDir });
    expect(readdirSync(cacheDir)).toEqual([]);
    expect(packages.find((p) => p.name === 'app')).toEqual({
      name: 'app',
      version: '1.0-1',
      repository: 'extra',
      filename: 'app-1.0-1-x86_64.pkg.tar.zst',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      architecture: 'x86_64',
      reason: 'explicit',
    });
    expect(packages.find((p) => p.name === 'filesystem')).toMatchObject({
      repository: 'core',
      architecture: 'any',
      reason: 'explicit',
    });
    expect(packages.find((p) => p.name === 'glibc')).toMatchObject({ repository: 'core', reason: 'dependency' });
    expect(packages.at(-1)?.name).toBe('app');
  });

  it('is what bootstrapPacman installs, in the same order, with the same reasons and digests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pacman-resolve-install-'));
    temps.push(dir);
    const include = ['accounts', 'hooked', 'app'];
    const resolved = await resolvePacmanRootfs({ repositories, include });
    const installed = await bootstrapPacman({
      repositories,
      include,
      target: join(dir, 'root'),
      cacheDir: join(dir, 'cache'),
      scripts: false,
    });
    expect(
      installed.packages.map(({ name, version, repository, sha256, reason }) => ({
        name,
        version,
        repository,
        sha256,
        reason,
      })),
    ).toEqual(
      resolved.packages.map(({ name, version, repository, sha256, reason }) => ({
        name,
        version,
        repository,
        sha256,
        reason,
      })),
    );
  }, 120_000);

  it('a folder without its database resolves as the database does', async () => {
    const repo = await pacmanTestRepo();
    const dirs = repo.repos.map((r) => {
      const dir = mkdtempSync(join(tmpdir(), `pacman-resolve-${r.name}-`));
      temps.push(dir);
      for (const f of readdirSync(r.dir).filter((n) => n.includes('.pkg.tar.')))
        copyFileSync(join(r.dir, f), join(dir, f));
      return { name: r.name, folder: dir };
    });
    const include = ['base', 'app', 'xorg'];
    const fromFolders = await resolvePacmanRootfs({ repositories: dirs, include });
    expect(fromFolders).toEqual(await resolvePacmanRootfs({ repositories, include }));
  });

  it('the bootstrap options extend the resolve options; install-only keys are refused when resolving', async () => {
    expect(Object.keys(pacmanResolveOptionsSchema.shape).every((k) => k in pacmanBootstrapOptionsSchema.shape)).toBe(
      true,
    );
    await expect(
      resolvePacmanRootfs({ repositories, include: ['app'], target: '/tmp/x' } as never),
    ).rejects.toMatchObject({ code: 'ERR_BOOTSTRAP_OPTIONS' });
    await expect(resolvePacmanRootfs({ repositories, include: ['no-such-target'] })).rejects.toMatchObject({
      code: 'ERR_PACMAN_UNSATISFIABLE',
    });
  });

  it('reads a database again when its content changed between two resolutions in one process (no stale parse)', async () => {
    const repo = await pacmanTestRepo();
    const [core, extra] = repo.repos;
    const dir = mkdtempSync(join(tmpdir(), 'pacman-resolve-changed-'));
    temps.push(dir);
    const db = join(dir, 'core.db');
    copyFileSync(core!.db, db);
    const server = pathToFileURL(dir).href;
    const first = await resolvePacmanRootfs({ repositories: [{ name: 'core', server }], include: ['filesystem'] });
    expect(first.packages.map((p) => p.name)).toEqual(['filesystem']);
    // Same URL, other bytes (extra's packages under the name core): filesystem is gone.
    copyFileSync(extra!.db, db);
    await expect(
      resolvePacmanRootfs({ repositories: [{ name: 'core', server }], include: ['filesystem'] }),
    ).rejects.toMatchObject({ code: 'ERR_PACMAN_UNSATISFIABLE' });
    const nano = await resolvePacmanRootfs({ repositories: [{ name: 'core', server }], include: ['nano'] });
    expect(nano.packages.map((p) => `${p.name} ${p.version}`)).toEqual(['nano 8.1-1']);
  });
});
