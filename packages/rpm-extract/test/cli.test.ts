import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, usage } from '../src/cli-main.js';
import { corpusDir, expected } from './corpus.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-extract-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(
    argv,
    (s) => (stdout += s),
    (s) => (stderr += s),
  );
  return { code, stdout, stderr };
}

describe('rpm-extract command line', () => {
  it('without a file prints usage and exits 2', async () => {
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(usage);
  });

  it('refuses an unknown flag with the nearest known one, and a second file, with exit 2 and the usage', async () => {
    const file = join(corpusDir, 'hello-2.0-1.x86_64.rpm');
    for (const [argv, said] of [
      [[file, '--lst'], "ERR_USAGE: unknown flag '--lst'\n  hint: did you mean --list?\n"],
      [[file, '--no-verfy'], "ERR_USAGE: unknown flag '--no-verfy'\n  hint: did you mean --no-verify?\n"],
      [
        [file, 'other.rpm'],
        "ERR_USAGE: unexpected argument 'other.rpm': this command takes one FILE.rpm\n  hint: quote an argument that contains spaces; see --help\n",
      ],
    ] as const) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toBe(`${said}${usage}`);
      expect(r.stdout).toBe('');
    }
  });

  it('--list prints what rpm -qp --dump prints', async () => {
    const r = await run(join(corpusDir, 'hello-2.0-1.x86_64.rpm'), '--list');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected('hello-2.0-1.x86_64.rpm', 'dump'));
  });

  it('--verify: digests OK exits 0, the corrupted package exits 1', async () => {
    const good = await run(join(corpusDir, 'hello-2.0-1.x86_64-signed.rpm'), '--verify');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/digests OK/);
    expect(good.stdout).toMatch(/signature \(rsa\): RSA\/SHA256 key ID [0-9a-f]{16}/);
    const bad = await run(join(corpusDir, 'hello-2.0-1.x86_64-corrupted.rpm'), '--verify');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/DIGESTS NOT OK/);
  });

  it('--info --json prints the typed header', async () => {
    const r = await run(join(corpusDir, 'hello-2.0-1.x86_64.rpm'), '--info', '--json');
    const info = JSON.parse(r.stdout) as { name: string; version: string; files: unknown[] };
    expect(info).toMatchObject({ name: 'hello', version: '2.0' });
    expect(info.files.length).toBe(5);
  });

  it('extracts with -C and writes the manifest; a package error exits 1 with code and hint', async () => {
    const dir = join(work, 'out');
    const manifest = join(work, 'manifest.json');
    const r = await run(join(corpusDir, 'hello-2.0-1.x86_64.rpm'), '-C', dir, '--manifest', manifest);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^hello-2\.0-1\.x86_64: 4 files, 7243 bytes -> /);
    expect(readFileSync(join(dir, 'usr/share/doc/hello-2.0/FAQ')).length).toBe(36);
    expect(JSON.parse(readFileSync(manifest, 'utf8'))).toMatchObject({ format: 'distroforge-rpm-manifest' });
    const bad = await run(join(corpusDir, 'README.md'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ERR_RPM_BAD_MAGIC[\s\S]*hint:/);
  });
});
