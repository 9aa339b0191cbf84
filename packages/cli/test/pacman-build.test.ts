// A pacman profile built by the distroforge command against the generated repository: local
// package files (a newer nano from `extra` as extraPackageFiles, the kernel as kernel.file) come
// from a repository of their own that wins over the source's, the stage key holds the resolved set
// (a second build is cached), and a signature level the repository cannot meet fails before
// anything is built.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { runDistroforge } from './run-distroforge.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
let mirror = '';
let work = '';

beforeAll(async () => {
  mirror = (await generatePacmanTestRepo(join(repoRoot, '.cache', 'pacman-test-repo', 'repo'))).dir;
  work = await mkdtemp(join(tmpdir(), 'df-pacman-build-'));
}, 600_000);
afterAll(() => rm(work, { recursive: true, force: true }));

async function profile(name: string, extra: string): Promise<string> {
  const dir = join(work, name);
  await cp(join(repoRoot, 'examples', 'arch-live'), dir, { recursive: true });
  const file = join(dir, 'profile.yaml');
  const text = (await readFile(file, 'utf8'))
    .replace(/^ {2}mirror: .*$/m, `  mirror: file://${mirror}/$repo`)
    .replace(/^ {2}sigLevel: required$/m, '  sigLevel: off')
    .replace(/^outputs: .*$/m, 'outputs: [rootfs-tar]');
  await writeFile(file, `${text}${extra}`);
  return dir;
}

const packageFile = async (repo: string, name: string) =>
  join(
    mirror,
    repo,
    (await readdir(join(mirror, repo))).find((f) => f.startsWith(`${name}-`) && /\.pkg\.tar\.\w+$/.test(f))!,
  );

describe('a pacman profile', () => {
  it('installs local package files over the source (a newer nano from a file, the kernel from kernel.file) and caches the root', async () => {
    const nano = await packageFile('extra', 'nano');
    const linux = await packageFile('core', 'linux');
    const dir = await profile('local-files', `extraPackageFiles: [${nano}]\nkernel:\n  file: ${linux}\n`);
    const first = await runDistroforge(['build', dir, '--json']);
    expect(first.exitCode, first.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(first.stdout.trim().split('\n').at(-1)!) as {
      packages: { name: string; version: string }[];
      stages: { name: string; cached: boolean }[];
    };
    // core has nano 8.0-1 and comes first; the file (extra's 8.1-1) wins all the same.
    expect(report.packages.find((p) => p.name === 'nano')?.version).toBe('8.1-1');
    expect(report.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['linux', 'base', 'busybox']));
    const again = await runDistroforge(['build', dir, '--json']);
    expect(again.exitCode).toBe(0);
    const stages = (
      JSON.parse(again.stdout.trim().split('\n').at(-1)!) as { stages: { name: string; cached: boolean }[] }
    ).stages;
    expect(stages.find((s) => s.name === 'rootfs')?.cached).toBe(true);
  }, 600_000);

  it('with signatures required and none in the repository, fails naming the package, and builds nothing', async () => {
    const dir = await profile('sig-required', '');
    const file = join(dir, 'profile.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/^ {2}sigLevel: off$/m, '  sigLevel: required'));
    const run = await runDistroforge(['build', dir, '--json']);
    expect(run.exitCode).toBe(4);
    const error = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; code?: string; message?: string })
      .find((e) => e.type === 'error');
    expect(error?.code).toBe('ERR_PACMAN_SIG_MISSING');
    expect(error?.message).toMatch(/^filesystem-2024.04.07-1: no signature/);
    expect(await readdir(join(dir, 'out')).catch(() => [])).toEqual([]);
  }, 600_000);

  it('is locked: distroforge lock lists each package with its repository; build --locked passes, and refuses a lock the repositories no longer give', async () => {
    const dir = await profile('locked', '');
    const lock = await runDistroforge(['lock', dir, '--json']);
    expect(lock.exitCode, lock.stderr.slice(-1000)).toBe(0);
    const file = join(dir, 'distroforge.lock');
    const written = JSON.parse(await readFile(file, 'utf8')) as {
      source: string;
      repositories: string[];
      packages: { name: string; version: string; repository: string; sha256: string }[];
    };
    expect(written.source).toBe('pacman');
    expect(written.repositories).toEqual(['core', 'extra']);
    expect(written.packages.find((p) => p.name === 'linux')).toMatchObject({
      repository: 'core',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect((await runDistroforge(['build', dir, '--locked', '--json'])).exitCode).toBe(0);
    const busybox = written.packages.find((p) => p.name === 'busybox')!;
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(JSON.stringify(busybox), JSON.stringify({ ...busybox, version: '0.1-1' })),
    );
    const refused = await runDistroforge(['build', dir, '--locked', '--json']);
    expect(refused.exitCode).toBe(4);
    const error = refused.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; code?: string; message?: string })
      .find((e) => e.type === 'error');
    expect(error).toMatchObject({
      code: 'ERR_LOCK_MISMATCH',
      message: expect.stringContaining(`~ busybox 0.1-1 -> ${busybox.version}`),
    });
  }, 600_000);
});
