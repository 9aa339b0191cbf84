// The bin's pacman sources: --source pacman:URL --repos ... and --source pacman-dir:PATH, resolve
// only and install, and the typed errors and exit codes of bad input.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { main, usage } from '../src/cli-main.js';
import { pacmanTestRepo } from './pacman-fixtures.js';
import { type PacmanScratch, pacmanScratch, runPacman, useRepositoryConfig } from './pacman-oracle.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => {
      out += s;
    },
    (s) => {
      err += s;
    },
  );
  return { code, out, err };
}

interface JsonResult {
  event: 'result';
  packages: { name: string; version: string; repository: string; reason: string; validation?: string[] }[];
  manifest?: string | null;
  sigLevel?: string;
}

const lastJson = (out: string): JsonResult => JSON.parse(out.trim().split('\n').at(-1) ?? '') as JsonResult;

describe('rootfs-bootstrap --source pacman:URL | pacman-dir:PATH', () => {
  let repo: PacmanTestRepo;
  let mirror: string;
  let s: PacmanScratch;
  let work: string;
  beforeAll(async () => {
    repo = await pacmanTestRepo();
    mirror = `${pathToFileURL(repo.dir).href}/$repo`;
    s = pacmanScratch();
    useRepositoryConfig(s, readFileSync(repo.config, 'utf8'));
    expect(runPacman(s, ['-Sy']).status).toBe(0);
    work = mkdtempSync(join(tmpdir(), 'pacman-bin-'));
  }, 120_000);
  afterAll(() => {
    for (const d of [s?.dir, work]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("--resolve-only --json lists what Debian's pacman -Sp --print-format '%n %v' lists, with name and version", async () => {
    const { code, out, err } = await run([
      '--source',
      `pacman:${mirror}`,
      '--repos',
      'core,extra',
      '--include',
      'base,app',
      '--include',
      'xorg',
      '--resolve-only',
      '--json',
    ]);
    expect(code, err).toBe(0);
    const result = lastJson(out);
    expect(result.event).toBe('result');
    const print = runPacman(s, ['-Sp', '--print-format', '%n %v', 'base', 'app', 'xorg']);
    expect(result.packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual(print.stdout.trim().split('\n').sort());
    expect(result.packages.find((p) => p.name === 'app')).toMatchObject({ repository: 'extra', reason: 'explicit' });
  });

  it('--repos order is pacman.conf order: extra first gives extra nano; --resolve-only without --json prints NAME VERSION REPOSITORY lines', async () => {
    const { code, out } = await run([
      '--source',
      `pacman:${mirror}`,
      '--repos',
      'extra,core',
      '--include',
      'nano',
      '--resolve-only',
    ]);
    expect(code).toBe(0);
    expect(out).toBe('nano 8.1-1 extra\n1 packages\n');
  });

  it('pacman-dir:PATH names the repository by its NAME.db, else by the folder name (packages read one by one)', async () => {
    const core = repo.repos.find((r) => r.name === 'core')!;
    const withDb = await run(['--source', `pacman-dir:${core.dir}`, '--include', 'base', '--resolve-only', '--json']);
    expect(withDb.code, withDb.err).toBe(0);
    expect(new Set(lastJson(withDb.out).packages.map((p) => p.repository))).toEqual(new Set(['core']));
    const bare = join(work, 'my-pkgs');
    mkdirSync(bare);
    for (const f of readdirSync(core.dir).filter((n) => n.includes('.pkg.tar.')))
      copyFileSync(join(core.dir, f), join(bare, f));
    const noDb = await run(['--source', `pacman-dir:${bare}`, '--include', 'base', '--resolve-only', '--json']);
    expect(noDb.code, noDb.err).toBe(0);
    const fromFolder = lastJson(noDb.out).packages;
    expect(new Set(fromFolder.map((p) => p.repository))).toEqual(new Set(['my-pkgs']));
    expect(fromFolder.map((p) => `${p.name} ${p.version}`)).toEqual(
      lastJson(withDb.out).packages.map((p) => `${p.name} ${p.version}`),
    );
  });

  it('installs into TARGET (pacman-dir, sig level optional by default against /usr/share/keyrings): the local database, a manifest, a JSON result', async () => {
    const core = repo.repos.find((r) => r.name === 'core')!;
    const target = join(work, 'root-dir');
    const manifest = join(work, 'manifest.json');
    const { code, out, err } = await run([
      '--source',
      `pacman-dir:${core.dir}`,
      '--include',
      'accounts',
      '--cache',
      join(work, 'cache'),
      '--manifest',
      manifest,
      '--json',
      target,
    ]);
    expect(code, err).toBe(0);
    const result = lastJson(out);
    expect(result.sigLevel).toBe('optional');
    expect(result.manifest).toBe(manifest);
    expect(result.packages.map((p) => p.name)).toEqual(['filesystem', 'sh-runtime', 'accounts']);
    expect(result.packages.every((p) => p.validation?.join() === 'sha256')).toBe(true);
    expect(existsSync(join(target, 'var/lib/pacman/local/accounts-1.0-1/desc'))).toBe(true);
    expect(existsSync(manifest)).toBe(true);
  }, 120_000);

  it('installs from pacman:URL with --sig-level off, --arch and --log; the text summary says what was checked', async () => {
    const target = join(work, 'root-url');
    const log = join(work, 'scripts.log');
    const { code, out, err } = await run([
      '--source',
      `pacman:${mirror}`,
      '--repos',
      'core,extra',
      '--include',
      'accounts,hooked,app',
      '--sig-level',
      'off',
      '--arch',
      'x86_64',
      '--log',
      log,
      '--cache',
      join(work, 'cache'),
      target,
    ]);
    expect(code, err).toBe(0);
    expect(out).toMatch(
      new RegExp(
        `^${target}: \\d+ packages \\(core, extra\\) in [\\d.]+ s\\nsignatures: not checked \\(--sig-level off\\)\\n\\d+ \\.INSTALL functions and \\d+ hooks ran, 0 failed \\(log ${log}\\)\\n$`,
      ),
    );
    expect(existsSync(join(target, 'usr/bin/app'))).toBe(true);
    expect(existsSync(log)).toBe(true);
  }, 120_000);

  it('--sig-level required refuses unsigned packages (ERR_PACMAN_SIG_MISSING, exit 1, no target); a missing keyring is ERR_PACMAN_KEYRING', async () => {
    const target = join(work, 'root-required');
    const required = await run([
      '--source',
      `pacman:${mirror}`,
      '--repos',
      'core',
      '--include',
      'filesystem',
      '--cache',
      join(work, 'cache'),
      target,
    ]);
    expect(required.code).toBe(1);
    expect(required.err).toMatch(/^ERR_PACMAN_SIG_MISSING: /);
    expect(existsSync(target)).toBe(false);
    const keyring = await run([
      '--source',
      `pacman:${mirror}`,
      '--repos',
      'core',
      '--include',
      'filesystem',
      '--sig-level',
      'optional',
      '--keyring',
      join(work, 'no-keyring'),
      target,
    ]);
    expect(keyring.code).toBe(1);
    expect(keyring.err).toMatch(/^ERR_PACMAN_KEYRING: /);
    expect(existsSync(target)).toBe(false);
  }, 120_000);

  it('bad flags are usage errors (exit 2, the usage): unknown sig level, missing --repos or --include, --repos on a folder, flags of other sources', async () => {
    const src = ['--source', 'pacman:https://mirror.invalid/$repo/os/$arch'];
    for (const [argv, said] of [
      [
        [...src, '--repos', 'core', '--include', 'base', '--sig-level', 'never', 'root'],
        "ERR_USAGE: --sig-level must be off, optional or required, got 'never'\n  hint: --sig-level required (pacman's SigLevel = Required), optional, or off\n",
      ],
      [
        [...src, '--include', 'base', 'root'],
        'ERR_USAGE: --source pacman:https://mirror.invalid/$repo/os/$arch needs --repos\n  hint: --repos core,extra (the repositories in pacman.conf order; $repo in the URL is each name)\n',
      ],
      [
        [...src, '--repos', 'core', 'root'],
        'ERR_USAGE: --include is required with a pacman source\n  hint: --include base,linux (packages, provided names or groups, as pacman -S takes them)\n',
      ],
      [
        ['--source', 'pacman-dir:/srv/pkgs', '--repos', 'core', '--include', 'base', 'root'],
        "ERR_USAGE: --repos applies to pacman:URL only\n  hint: a pacman-dir folder is one repository, named by its NAME.db (else the folder's name); leave --repos out\n",
      ],
      [
        [...src, '--repos', 'core', '--include', 'base', '--exclude', 'vi', 'root'],
        'ERR_USAGE: --exclude applies to apt and rpm sources only\n  hint: --source pacman:https://mirror.invalid/$repo/os/$arch is a pacman source; leave --exclude out\n',
      ],
      [
        [...src, '--repos', 'core', '--include', 'base', '--gpg-check', 'require', 'root'],
        'ERR_USAGE: --gpg-check applies to rpm sources only\n  hint: --source pacman:https://mirror.invalid/$repo/os/$arch is a pacman source; leave --gpg-check out\n',
      ],
      [
        ['--source', 'rpm-dir:/srv/rpms', '--include', 'bash', '--sig-level', 'off', 'root'],
        'ERR_USAGE: --sig-level applies to pacman sources only\n  hint: --source rpm-dir:/srv/rpms is an rpm source; leave --sig-level out\n',
      ],
      [
        ['--suite', 'bookworm', '--repos', 'core', 'root'],
        'ERR_USAGE: --repos applies to pacman sources only\n  hint: --repos goes with --source pacman:URL or pacman-dir:PATH\n',
      ],
      [
        ['--suite', 'bookworm', '--source', 'pacman-dir:/srv/pkgs', 'root'],
        'ERR_USAGE: --suite applies to apt sources only\n  hint: --source pacman-dir:/srv/pkgs is a pacman source; leave --suite out\n',
      ],
    ] as const) {
      const { code, err } = await run([...argv]);
      expect(code, argv.join(' ')).toBe(2);
      expect(err).toBe(`${said}${usage}`);
    }
  });

  it('bad values are typed errors (exit 1): a malformed source, a missing folder, a bad URL, an unsatisfiable target, TARGET with --resolve-only', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--source', 'pacman:', '--include', 'base', '--resolve-only'],
        /^ERR_BOOTSTRAP_OPTIONS: source "pacman:": expected pacman:URL or pacman-dir:PATH\n/,
      ],
      [
        ['--source', `pacman-dir:${join(work, 'absent')}`, '--include', 'base', '--resolve-only'],
        /^ERR_BOOTSTRAP_OPTIONS: pacman-dir:.*absent: not a folder\n/,
      ],
      [
        ['--source', 'pacman:ftp://mirror.invalid/$repo', '--repos', 'core', '--include', 'base', '--resolve-only'],
        /^ERR_BOOTSTRAP_OPTIONS: .*server/,
      ],
      [
        ['--source', `pacman:${mirror}`, '--repos', 'core,extra', '--include', 'no-such-target', '--resolve-only'],
        /^ERR_PACMAN_UNSATISFIABLE: /,
      ],
      [
        ['--source', `pacman:${mirror}`, '--repos', 'core', '--include', 'base', '--resolve-only', 'root'],
        /^ERR_BOOTSTRAP_OPTIONS: --resolve-only takes no TARGET/,
      ],
    ];
    for (const [argv, said] of cases) {
      const { code, err } = await run(argv);
      expect(code, argv.join(' ')).toBe(1);
      expect(err).toMatch(said);
    }
  });
});
