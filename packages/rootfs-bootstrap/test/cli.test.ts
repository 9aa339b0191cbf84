import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, usage } from '../src/cli-main.js';
import { buildDeb } from './local-package-fixtures.js';

async function run(argv: string[]) {
  let out = '';
  const code = await main(argv, (s) => {
    out += s;
  });
  return { code, out };
}

describe('rootfs-bootstrap command line', () => {
  it('prints its usage (pinned in bin-usage.test.ts)', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, out: usage });
  });

  it('maps typed errors to exit code 1 and bad flags to 2', async () => {
    expect((await run(['TARGET'])).code).toBe(1);
    expect((await run(['--suite', 'bookworm', '--variant', 'nope', '--resolve-only'])).code).toBe(1);
    expect((await run(['--bogus'])).code).toBe(2);
  });

  it('names an unknown flag with the nearest known one, refuses a second TARGET, a flag of the other source and a malformed floor (exit 2, the usage)', async () => {
    for (const [argv, said] of [
      [
        ['--suite', 'bookworm', '--inclde', 'vim', 'root'],
        "ERR_USAGE: unknown flag '--inclde'\n  hint: did you mean --include?\n",
      ],
      [
        ['--suite', 'bookworm', '--resolve', '--json'],
        "ERR_USAGE: unknown flag '--resolve'\n  hint: did you mean --resolve-only?\n",
      ],
      [
        ['--suite', 'bookworm', 'root', 'other'],
        "ERR_USAGE: unexpected argument 'other': this command takes one TARGET\n  hint: quote an argument that contains spaces; see --help\n",
      ],
      [
        ['--source', 'rpm-dir:/srv/rpms', '--keyring', 'k.gpg', 'root'],
        'ERR_USAGE: --keyring applies to apt and pacman sources only\n  hint: --source rpm-dir:/srv/rpms is an rpm source; leave --keyring out\n',
      ],
      [
        ['--suite', 'bookworm', '--min-repomd-revision', '7', 'root'],
        'ERR_USAGE: --min-repomd-revision applies to rpm sources only\n  hint: --min-repomd-revision goes with --source rpm-...\n',
      ],
      [
        ['--suite', 'bookworm', '--min-release-date', '2025-01-10', 'root'],
        "ERR_USAGE: --min-release-date needs SUITE=DATE, got '2025-01-10'\n  hint: --min-release-date bookworm=2025-01-10T10:00:43Z\n",
      ],
      [
        ['--source', 'rpm-dir:/srv/rpms', '--min-repomd-revision', 'r7', 'root'],
        "ERR_USAGE: --min-repomd-revision needs a whole number, got 'r7'\n  hint: --min-repomd-revision 1700000000\n",
      ],
      [
        ['--source', 'rpm-dir:/srv/rpms', '--rpmdb', 'sqlite', 'root'],
        "ERR_USAGE: --rpmdb must be auto, host-rpm, image-rpm, none, got 'sqlite'\n  hint: --rpmdb auto|host-rpm|image-rpm|none\n",
      ],
      [
        ['--source', 'rpm-dir:/srv/rpms', '--lua-scriptlets', 'run', 'root'],
        "ERR_USAGE: --lua-scriptlets must be skip, fail, got 'run'\n  hint: --lua-scriptlets skip|fail\n",
      ],
      [
        ['--suite', 'bookworm', '--rpmdb', 'none', 'root'],
        'ERR_USAGE: --rpmdb applies to rpm sources only\n  hint: --rpmdb goes with --source rpm-...\n',
      ],
    ] as const) {
      let err = '';
      const code = await main(
        [...argv],
        () => {},
        (s) => (err += s),
      );
      expect(code, argv.join(' ')).toBe(2);
      expect(err).toBe(`${said}${usage}`);
    }
  });

  it('resolves a dry run and prints one JSON result', async () => {
    const { code, out } = await run([
      '--suite',
      'bookworm',
      '--variant',
      'extract',
      '--include',
      'base-passwd',
      '--resolve-only',
      '--json',
    ]);
    expect(code).toBe(0);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; packages?: { name: string }[] });
    const result = events.at(-1)!;
    expect(result.event).toBe('result');
    expect(result.packages?.map((p) => p.name)).toContain('libc6');
    expect(events.some((e) => e.event === 'progress')).toBe(true);
  });

  it('installs --local package files too (dry run: listed as local with the file)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-cli-local-'));
    try {
      const deb = buildDeb(work, {
        control: { Package: 'df-cli-local', Version: '1.0', Architecture: 'all', Depends: 'base-passwd' },
        files: { 'usr/share/df-cli-local/x': 'x\n' },
      });
      const { code, out } = await run([
        '--suite',
        'bookworm',
        '--variant',
        'extract',
        '--local',
        deb,
        '--resolve-only',
        '--json',
      ]);
      expect(code).toBe(0);
      const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
        packages: { name: string; origin: string; localFile?: string }[];
      };
      expect(result.packages.find((p) => p.name === 'df-cli-local')).toMatchObject({ origin: 'local', localFile: deb });
      expect(result.packages.map((p) => p.name)).toContain('base-passwd');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
