import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapPacman, type PacmanBootstrapOptions } from '../src/index.js';
import type { PacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { pacmanTestRepo } from './pacman-fixtures.js';
import { writeTestRepository, type TestPackage } from './pacman-package-builder.js';

// Each failure is a typed error; the target is not created, no partial tree is left beside it,
// and nothing is written outside it.
describe('bootstrapPacman failures', () => {
  let repo: PacmanTestRepo;
  let work: string;
  let n = 0;
  beforeAll(async () => {
    repo = await pacmanTestRepo();
    work = mkdtempSync(join(tmpdir(), 'pacman-failures-'));
  }, 120_000);
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  /** A package of one file, `etc/NAME` (holding the name's first letter), whose post_install runs `body` in sh. */
  const postInstallPackage = (name: string, body: string): TestPackage => ({
    name,
    depends: ['sh-runtime'],
    install: `post_install() {\n  ${body}\n}\n`,
    members: [
      { path: 'etc/', type: 'dir' },
      { path: `etc/${name}`, data: name[0]! },
    ],
  });

  /** Installs `include` from a repository of `packages` (named `test`, before the generated core for sh-runtime). */
  const attempt = async (
    packages: readonly TestPackage[],
    include: string[],
    extra: Partial<PacmanBootstrapOptions> = {},
  ) => {
    const dir = join(work, `case-${++n}`);
    writeTestRepository(join(dir, 'repo'), 'test', packages);
    const target = join(dir, 'out', 'root');
    mkdirSync(join(dir, 'out'), { recursive: true });
    const options: PacmanBootstrapOptions = {
      repositories: [
        { name: 'test', folder: join(dir, 'repo') },
        { name: 'core', folder: repo.repos[0]!.dir },
      ],
      include,
      target,
      cacheDir: join(dir, 'cache'),
      logFile: join(dir, 'scripts.log'),
      ...extra,
    };
    const error = await bootstrapPacman(options).then(
      () => undefined,
      (e: unknown) =>
        e as { code: string; message: string; path?: string; value?: unknown; hint?: string; logTail?: string },
    );
    return { dir, target, error, left: readdirSync(join(dir, 'out')) };
  };

  it('a corrupt (truncated) package whose SHA-256 the database states: ERR_PACMAN_PACKAGE_FORMAT before anything is written', async () => {
    const { error, left } = await attempt(
      [
        {
          name: 'broken',
          members: [
            { path: 'usr/', type: 'dir' },
            { path: 'usr/x', data: 'x'.repeat(4000) },
          ],
          corrupt: (b) => b.subarray(0, b.length - 20),
        },
      ],
      ['broken'],
    );
    expect(error?.code).toBe('ERR_PACMAN_PACKAGE_FORMAT');
    expect(error?.path).toMatch(/\.deb$|broken/);
    expect(error?.hint).toMatch(/corrupt/);
    expect(left).toEqual([]);
  });

  it("a package whose SHA-256 is not the database's: ERR_BOOTSTRAP_DIGEST naming it", async () => {
    const { error, left } = await attempt(
      [
        {
          name: 'tampered',
          members: [
            { path: 'etc/', type: 'dir' },
            { path: 'etc/x', data: 'x' },
          ],
          sha256: '0'.repeat(64),
        },
      ],
      ['tampered'],
    );
    expect(error?.code).toBe('ERR_BOOTSTRAP_DIGEST');
    expect(error?.message).toContain('tampered');
    expect(left).toEqual([]);
  });

  it('a later package with a wrong SHA-256 while the earlier ones are read as they arrive: ERR_BOOTSTRAP_DIGEST naming it, nothing installed', async () => {
    const pkg = (name: string, extra = {}) => ({
      name,
      members: [
        { path: 'usr/', type: 'dir' as const },
        { path: `usr/${name}`, data: name.repeat(3000) },
      ],
      ...extra,
    });
    const { error, left } = await attempt(
      [pkg('early-a'), pkg('early-b'), pkg('late-tampered', { sha256: 'f'.repeat(64) }), pkg('late-z')],
      ['early-a', 'early-b', 'late-tampered', 'late-z'],
    );
    expect(error?.code).toBe('ERR_BOOTSTRAP_DIGEST');
    expect(error?.message).toContain('late-tampered');
    expect(left).toEqual([]);
  });

  for (const hostile of ['../escaped-by-dotdot', '/escaped-absolute', 'usr/../../escaped-nested']) {
    it(`a member named ${hostile}: ERR_PACMAN_UNSAFE_PATH with the member, nothing written anywhere`, async () => {
      const { dir, error, left } = await attempt(
        [
          {
            name: 'hostile',
            members: [
              { path: 'usr/', type: 'dir' },
              { path: 'usr/ok', data: 'ok' },
              { path: hostile, data: 'pwned' },
            ],
          },
        ],
        ['hostile'],
      );
      expect(error?.code).toBe('ERR_PACMAN_UNSAFE_PATH');
      expect(error?.value).toBe(hostile);
      expect(left).toEqual([]);
      for (const where of [dir, join(dir, 'out'), '/'])
        expect(readdirSync(where).filter((name) => name.startsWith('escaped'))).toEqual([]);
    });
  }

  it('a symlink leading out of the root cannot carry a later member out: followed inside the root as in a chroot (.. stops at the root, an absolute target starts there)', async () => {
    const outside = join(work, 'outside');
    mkdirSync(outside);
    const clamped = await attempt(
      [
        {
          name: 'climber',
          members: [
            { path: 'up', type: 'symlink', link: '../../../../../../..' },
            { path: 'up/planted-at-root', data: 'y' },
          ],
        },
      ],
      ['climber'],
      { scripts: false },
    );
    expect(clamped.error).toBeUndefined();
    expect(readFileSync(join(clamped.target, 'planted-at-root'), 'utf8')).toBe('y');
    // The host folder the link names does not exist inside the root: a typed write error, the outside untouched.
    const absolute = await attempt(
      [
        {
          name: 'linker',
          members: [
            { path: 'escape', type: 'symlink', link: outside },
            { path: 'escape/planted', data: 'x' },
          ],
        },
      ],
      ['linker'],
      { scripts: false },
    );
    expect(absolute.error?.code).toBe('ERR_BOOTSTRAP_UNPACK_WRITE');
    expect(absolute.error?.path).toContain(`.partial-`);
    expect(absolute.left).toEqual([]);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(dirname(outside)).filter((name) => name.startsWith('planted'))).toEqual([]);
  });

  it('without a logFile: no log is made when nothing runs in the image, a temporary one holding the output when something does', async () => {
    const savedTmp = process.env.TMPDIR;
    const tmp = join(work, 'private-tmp');
    mkdirSync(tmp);
    process.env.TMPDIR = tmp; // where the temporary log would go (os.tmpdir reads it at each call)
    try {
      const install = async (name: string, pkg: TestPackage) => {
        const dir = join(work, name);
        writeTestRepository(join(dir, 'repo'), 'test', [pkg]);
        return bootstrapPacman({
          repositories: [
            { name: 'test', folder: join(dir, 'repo') },
            { name: 'core', folder: repo.repos[0]!.dir },
          ],
          include: [pkg.name],
          target: join(dir, 'root'),
          cacheDir: join(dir, 'cache'),
        });
      };
      const quiet = await install('log-none', {
        name: 'files-only',
        // Its file list (without one, the files might include a hook or ld.so.conf: the namespace is used).
        mtree: '#mtree\n./etc type=dir\n./etc/files-only type=file\n',
        members: [
          { path: 'etc/', type: 'dir' },
          { path: 'etc/files-only', data: 'x' },
        ],
      });
      expect(quiet.scriptlets).toEqual([]);
      expect(quiet.logFile).toBeUndefined();
      expect(readdirSync(tmp)).toEqual([]);
      const talking = await install('log-some', postInstallPackage('talks', 'echo "hello from post_install $1"'));
      expect(talking.scriptlets).toEqual([{ package: 'talks', function: 'post_install', status: 'ran' }]);
      expect(dirname(talking.logFile!)).toMatch(new RegExp(`^${tmp}/distroforge-pacman-`));
      expect(readFileSync(talking.logFile!, 'utf8')).toContain('hello from post_install 1.0-1');
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
  });

  it('a failing post_install: ERR_PACMAN_SCRIPTLET_FAILED with its output; strictScripts false reports it and installs, as pacman does', async () => {
    const failing = postInstallPackage('fails', 'echo "boom from post_install $1"\n  exit 3');
    const { error, left } = await attempt([failing], ['fails']);
    expect(error?.code).toBe('ERR_PACMAN_SCRIPTLET_FAILED');
    expect(error?.logTail).toContain('boom from post_install 1.0-1');
    expect(error?.path).toMatch(/scripts\.log$/);
    expect(left).toEqual([]);
    const dir = join(work, `lenient-${n}`);
    writeTestRepository(join(dir, 'repo'), 'test', [failing]);
    const result = await bootstrapPacman({
      repositories: [
        { name: 'test', folder: join(dir, 'repo') },
        { name: 'core', folder: repo.repos[0]!.dir },
      ],
      include: ['fails'],
      target: join(dir, 'root'),
      cacheDir: join(dir, 'cache'),
      strictScripts: false,
    });
    expect(result.scriptlets).toEqual([
      { package: 'fails', function: 'post_install', status: 'failed', reason: expect.stringContaining('exit code 3') },
    ]);
    expect(readFileSync(join(dir, 'root/etc/fails'), 'utf8')).toBe('f');
  });

  it('a failing PreTransaction hook with AbortOnFail stops the install even with strictScripts false: ERR_PACMAN_HOOK_FAILED', async () => {
    const hooks = join(work, 'hooks');
    mkdirSync(hooks);
    writeFileSync(
      join(hooks, '10-abort.hook'),
      '[Trigger]\nType = Package\nOperation = Install\nTarget = *\n\n[Action]\nWhen = PreTransaction\nAbortOnFail\nExec = /usr/bin/false-does-not-exist\n',
    );
    const { error, left } = await attempt(
      [
        {
          name: 'plain',
          members: [
            { path: 'etc/', type: 'dir' },
            { path: 'etc/plain', data: 'p' },
          ],
        },
      ],
      ['plain'],
      { hookDirs: [hooks], strictScripts: false },
    );
    expect(error?.code).toBe('ERR_PACMAN_HOOK_FAILED');
    expect(error?.value).toBe('10-abort.hook');
    expect(left).toEqual([]);
    expect(existsSync(join(work, 'case-' + n, 'out', 'root'))).toBe(false);
  });
});
