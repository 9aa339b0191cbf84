import { prepareUserNamespace } from '@distroforge/core';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installPacmanTransaction,
  readPacmanPackageMetadata,
  type PacmanTransactionOptions,
  type PacmanTransactionPackage,
} from '../src/index.js';
import type { PacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { pacmanTestRepo } from './pacman-fixtures.js';
import { writeTestRepository } from './pacman-package-builder.js';

/** A promise settled from outside: a package still being read. */
function later<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Handled as bootstrapPacman's are: a rejection may come before the transaction awaits it.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

const until = async (what: () => boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

// The transaction takes packages still being read: it unpacks each as its turn comes and it is
// ready, and opens the image session (runs anything of the image) only once every package is.
describe('installPacmanTransaction with packages still being read', () => {
  let repo: PacmanTestRepo;
  let work: string;
  let n = 0;
  const packages: Record<string, PacmanTransactionPackage> = {};
  beforeAll(async () => {
    repo = await pacmanTestRepo();
    work = mkdtempSync(join(tmpdir(), 'pacman-overlap-'));
    writeTestRepository(join(work, 'repo'), 'test', [
      {
        name: 'early',
        depends: ['sh-runtime'],
        install: 'post_install() {\n  echo early-post-install-ran\n}\n',
        members: [
          { path: 'etc/', type: 'dir' },
          { path: 'etc/early', data: 'e' },
        ],
      },
      {
        name: 'late',
        members: [
          { path: 'etc/', type: 'dir' },
          { path: 'etc/late', data: 'l' },
        ],
      },
    ]);
    const core = repo.repos.find((r) => r.name === 'core')!.dir;
    const file = (dir: string, name: string) => join(dir, readdirSync(dir).find((f) => f.startsWith(`${name}-`))!);
    for (const [name, dir] of [
      ['filesystem', core],
      ['sh-runtime', core],
      ['early', join(work, 'repo')],
      ['late', join(work, 'repo')],
    ] as const) {
      packages[name] = {
        contents: await readPacmanPackageMetadata(file(dir, name)),
        reason: 'explicit',
        validation: ['sha256'],
      };
    }
  }, 120_000);
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  const setup = () => {
    const dir = join(work, `case-${++n}`);
    const root = join(dir, 'root');
    mkdirSync(root, { recursive: true });
    const logFile = join(dir, 'scripts.log');
    writeFileSync(logFile, '');
    const options: PacmanTransactionOptions = {
      namespace: undefined,
      logFile,
      installDate: 1_700_000_000,
      strictScripts: true,
      hookDirs: [],
      env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
    };
    return { root, logFile, options };
  };

  it('unpacks the packages before one still being read; the rest when it is ready; nothing ran in the image', async () => {
    const { root, options } = setup();
    const reading = later<PacmanTransactionPackage>();
    const installing = installPacmanTransaction(root, [packages.filesystem!, reading.promise, packages.late!], options);
    await until(() => existsSync(join(root, 'var/lib/pacman/local/filesystem-2024.04.07-1/desc')));
    expect(existsSync(join(root, 'etc/late'))).toBe(false);
    reading.resolve(packages['sh-runtime']!);
    const report = await installing;
    expect(readFileSync(join(root, 'etc/late'), 'utf8')).toBe('l');
    expect(report.installed.map((p) => p.name)).toEqual(['filesystem', 'sh-runtime', 'late']);
    expect(report.ranInImage).toBe(false);
  });

  /** With a namespace: filesystem, sh-runtime, early (its post_install) ready, and a last package still being read. */
  const installingWithEarlyScript = async () => {
    const { root, logFile, options } = setup();
    const reading = later<PacmanTransactionPackage>();
    const installing = installPacmanTransaction(
      root,
      [packages.filesystem!, packages['sh-runtime']!, packages.early!, reading.promise],
      { ...options, namespace: await prepareUserNamespace() },
    );
    installing.catch(() => undefined); // awaited by each test, after its checks
    return { root, logFile, reading, installing };
  };

  it("with a namespace: an earlier package's post_install waits until every package is read, then runs in the image", async () => {
    const { root, logFile, reading, installing } = await installingWithEarlyScript();
    // early's files and database entry are in; its post_install is due, and held back.
    await until(() => existsSync(join(root, 'var/lib/pacman/local/early-1.0-1/desc')));
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(logFile, 'utf8')).toBe(''); // nothing ran in the image yet
    reading.resolve(packages.late!);
    const report = await installing;
    expect(readFileSync(logFile, 'utf8')).toContain('early-post-install-ran');
    expect(report.scriptlets).toEqual([{ package: 'early', function: 'post_install', status: 'ran' }]);
    expect(report.ranInImage).toBe(true);
    expect(readFileSync(join(root, 'etc/late'), 'utf8')).toBe('l');
  });

  it('a logFile given as a function is made only when something is due to run in the image', async () => {
    const { root, logFile, options } = setup();
    const asked: string[] = [];
    const makeLog = async () => {
      asked.push(logFile);
      return logFile;
    };
    const namespace = await prepareUserNamespace();
    const quiet = await installPacmanTransaction(root, [packages.filesystem!, packages.late!], {
      ...options,
      namespace,
      logFile: makeLog,
    });
    expect(quiet.ranInImage).toBe(false);
    expect(asked).toEqual([]);
    const { root: root2 } = setup();
    const talking = await installPacmanTransaction(
      root2,
      [packages.filesystem!, packages['sh-runtime']!, packages.early!],
      { ...options, namespace, logFile: makeLog },
    );
    expect(talking.ranInImage).toBe(true);
    expect(asked).toEqual([logFile]);
    expect(readFileSync(logFile, 'utf8')).toContain('early-post-install-ran');
  });

  it('a later package that fails its reading stops the transaction with its error before anything of the image ran', async () => {
    const { root, logFile, reading, installing } = await installingWithEarlyScript();
    await until(() => existsSync(join(root, 'var/lib/pacman/local/early-1.0-1/desc')));
    const failure = Object.assign(new Error('late-1.0-1-x86_64.pkg.tar.zst is corrupt'), {
      code: 'ERR_PACMAN_PACKAGE_FORMAT',
    });
    reading.reject(failure);
    await expect(installing).rejects.toBe(failure);
    expect(readFileSync(logFile, 'utf8')).toBe('');
  });
});
