import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareVersionSegments, comparePacmanVersions, parsePacmanEvr } from '../src/pacman/vercmp.js';
import { descText, pacmanScratch, runPacman, type PacmanScratch } from './pacman-oracle.js';

/** The pairs of pacman's vercmp test suite (test/util/vercmptest.sh) with their expected result. */
const DOCUMENTED: [string, string, number][] = [
  ['1.5.0', '1.5.0', 0],
  ['1.5.1', '1.5.0', 1],
  ['1.5.1', '1.5', 1],
  ['1.5.0-1', '1.5.0-1', 0],
  ['1.5.0-1', '1.5.0-2', -1],
  ['1.5.0-1', '1.5.1-1', -1],
  ['1.5.0-2', '1.5.1-1', -1],
  ['1.5-1', '1.5.1-1', -1],
  ['1.5-2', '1.5.1-1', -1],
  ['1.5-2', '1.5.1-2', -1],
  ['1.5', '1.5-1', 0],
  ['1.5-1', '1.5', 0],
  ['1.1-1', '1.1', 0],
  ['1.0-1', '1.1', -1],
  ['1.1-1', '1.0', 1],
  ['1.5b-1', '1.5-1', -1],
  ['1.5b', '1.5', -1],
  ['1.5b-1', '1.5', -1],
  ['1.5b', '1.5.1', -1],
  ['1.0a', '1.0alpha', -1],
  ['1.0alpha', '1.0b', -1],
  ['1.0b', '1.0beta', -1],
  ['1.0beta', '1.0rc', -1],
  ['1.0rc', '1.0', -1],
  ['1.5.a', '1.5', 1],
  ['1.5.b', '1.5.a', 1],
  ['1.5.1', '1.5.b', 1],
  ['1.5.b-1', '1.5.b', 0],
  ['1.5-1', '1.5.b', -1],
  ['2.0', '2_0', 0],
  ['2.0_a', '2_0.a', 0],
  ['2.0a', '2.0.a', -1],
  ['2___a', '2_a', 1],
  ['0:1.0', '0:1.0', 0],
  ['0:1.0', '0:1.1', -1],
  ['1:1.0', '0:1.0', 1],
  ['1:1.0', '0:1.1', 1],
  ['1:1.0', '2:1.1', -1],
  ['1:1.0', '0:1.0-1', 1],
  ['1:1.0-1', '0:1.1-1', 1],
  ['0:1.0', '1.0', 0],
  ['0:1.0', '1.1', -1],
  ['0:1.1', '1.0', 1],
  ['1:1.0', '1.0', 1],
  ['1:1.0', '1.1', 1],
  ['1:1.1', '1.1', 1],
];

/** The ordering the man page gives, oldest first. */
const MAN_PAGE_ORDER = ['1.0a', '1.0alpha', '1.0b', '1.0beta', '1.0p', '1.0pre', '1.0rc', '1.0', '1.0.a', '1.0.1'];

describe('comparePacmanVersions', () => {
  it("gives the documented result for every pair of pacman's vercmp tests, both ways round", () => {
    for (const [a, b, expected] of DOCUMENTED) {
      expect([a, b, comparePacmanVersions(a, b)]).toEqual([a, b, expected]);
      expect([b, a, comparePacmanVersions(b, a)]).toEqual([b, a, -expected || 0]);
    }
  });

  it("sorts the man page's example list in its order", () => {
    const shuffled = [...MAN_PAGE_ORDER].reverse();
    expect(shuffled.sort(comparePacmanVersions)).toEqual(MAN_PAGE_ORDER);
  });

  it('splits epoch, version and release', () => {
    expect(parsePacmanEvr('2:1.0-3')).toEqual({ epoch: '2', version: '1.0', release: '3' });
    expect(parsePacmanEvr('1.0')).toEqual({ epoch: '0', version: '1.0', release: undefined });
    expect(parsePacmanEvr(':1.0-1-2')).toEqual({ epoch: '0', version: '1.0-1', release: '2' });
    expect(parsePacmanEvr('a:1.0')).toEqual({ epoch: '0', version: 'a:1.0', release: undefined });
  });

  it('treats ~ as a plain separator, unlike rpm', () => {
    expect(compareVersionSegments('1.0~rc1', '1.0')).toBe(1);
    expect(compareVersionSegments('1~0', '1.0')).toBe(0);
  });
});

/** A small deterministic generator (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEGMENTS = [
  '0',
  '1',
  '2',
  '9',
  '10',
  '01',
  '001',
  '0010',
  '123456789012345678901',
  'a',
  'b',
  'rc',
  'alpha',
  'Z',
  'pre',
  'git',
];
const SEPARATORS = ['.', '.', '.', '_', '+', '~', '..', '._', 'é'];

function versionPart(next: () => number, pick: <T>(list: readonly T[]) => T): string {
  let text = next() < 0.1 ? pick(SEPARATORS) : '';
  const count = 1 + Math.floor(next() * 4);
  for (let k = 0; k < count; k++) {
    text += pick(SEGMENTS);
    if (k < count - 1 && next() < 0.8) text += pick(SEPARATORS);
  }
  if (next() < 0.1) text += pick(SEPARATORS);
  return text;
}

/** Version pairs likely to be close (a shared prefix), with and without epochs and releases. */
function generatedPairs(count: number, seed: number): [string, string][] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const epoch = (): string => (next() < 0.7 ? '' : `${pick(['0', '1', '2', '01', '10', ''])}:`);
  const pairs: [string, string][] = [];
  for (let k = 0; k < count; k++) {
    const base = versionPart(next, pick);
    const derive = (): string =>
      next() < 0.5
        ? base + (next() < 0.5 ? pick(SEPARATORS) : '') + versionPart(next, pick)
        : next() < 0.5
          ? base
          : versionPart(next, pick);
    const release = (): string => pick(['1', '2', '10', '1.1', '01', 'a', '1a']);
    // The installed side is a package version: it needs a release (pacman splits NAME-VERSION-RELEASE).
    const installed = `${epoch()}${derive()}-${release()}`;
    const asked = `${epoch()}${derive()}${next() < 0.5 ? `-${release()}` : ''}`;
    pairs.push([installed, asked]);
  }
  return pairs;
}

function writeLocalPackage(s: PacmanScratch, name: string, version: string): void {
  const dir = join(s.dbpath, 'local', `${name}-${version}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'desc'),
    descText([
      ['NAME', name],
      ['VERSION', version],
      ['ARCH', 'x86_64'],
    ]),
  );
}

/** pacman -T prints the dependencies the local database does not satisfy. */
function unsatisfied(s: PacmanScratch, deps: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let k = 0; k < deps.length; k += 400) {
    const run = runPacman(s, ['-T', ...deps.slice(k, k + 400)]);
    if (run.status !== 0 && run.status !== 127) throw new Error(`pacman -T failed (${run.status}): ${run.stderr}`);
    for (const line of run.stdout.split('\n')) if (line) out.add(line);
  }
  return out;
}

describe("comparePacmanVersions against Debian's pacman", () => {
  const scratches: PacmanScratch[] = [];
  afterAll(() => {
    for (const s of scratches) rmSync(s.dir, { recursive: true, force: true });
  });

  it("agrees with alpm's dependency check (pacman -T NAME>=V and NAME<=V) on generated pairs", () => {
    const pairs = [
      ...generatedPairs(1500, 24),
      ...DOCUMENTED.filter(([a]) => /-/.test(a)).map(([a, b]): [string, string] => [a, b]),
    ];
    const s = pacmanScratch();
    scratches.push(s);
    pairs.forEach(([installed], k) => {
      writeLocalPackage(s, `v${k}`, installed);
    });
    const atLeast = unsatisfied(
      s,
      pairs.map(([, asked], k) => `v${k}>=${asked}`),
    );
    const atMost = unsatisfied(
      s,
      pairs.map(([, asked], k) => `v${k}<=${asked}`),
    );
    const theirs = pairs.map(([installed, asked], k) => [
      installed,
      asked,
      atLeast.has(`v${k}>=${asked}`) ? -1 : atMost.has(`v${k}<=${asked}`) ? 1 : 0,
    ]);
    const ours = pairs.map(([installed, asked]) => [installed, asked, comparePacmanVersions(installed, asked)]);
    expect(ours).toEqual(theirs);
    // Not a trivial table: every outcome occurs many times.
    for (const outcome of [-1, 0, 1]) expect(theirs.filter((t) => t[2] === outcome).length).toBeGreaterThan(25);
  });

  it('agrees with pacman -Qu (a sync version newer than the installed one) on generated full versions, both ways round', () => {
    const pairs = generatedPairs(600, 2024).map(([installed, asked]): [string, string] => [
      installed,
      /-/.test(asked.replace(/^\d*:/, '')) ? asked : `${asked}-1`,
    ]);
    const upgrades = (local: readonly string[], sync: readonly string[]): Set<string> => {
      const s = pacmanScratch();
      scratches.push(s);
      const syncDir = join(s.dir, 'syncdb');
      local.forEach((version, k) => {
        writeLocalPackage(s, `v${k}`, version);
      });
      sync.forEach((version, k) => {
        mkdirSync(join(syncDir, `v${k}-${version}`), { recursive: true });
        writeFileSync(
          join(syncDir, `v${k}-${version}`, 'desc'),
          descText([
            ['NAME', `v${k}`],
            ['VERSION', version],
            ['ARCH', 'x86_64'],
          ]),
        );
      });
      writeFileSync(
        join(s.config),
        `[options]\nArchitecture = x86_64\nSigLevel = Never\n[gen]\nServer = file:///nonexistent\n`,
      );
      tarInto(syncDir, join(s.dbpath, 'sync', 'gen.db'));
      const run = runPacman(s, ['-Qu']);
      if (run.status !== 0 && run.status !== 1) throw new Error(`pacman -Qu failed (${run.status}): ${run.stderr}`);
      return new Set(
        run.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(' ')[0]!),
      );
    };
    const newerSync = upgrades(
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    );
    const newerLocal = upgrades(
      pairs.map((p) => p[1]),
      pairs.map((p) => p[0]),
    );
    const theirs = pairs.map(([a, b], k) => [a, b, newerSync.has(`v${k}`) ? -1 : newerLocal.has(`v${k}`) ? 1 : 0]);
    const ours = pairs.map(([a, b]) => [a, b, comparePacmanVersions(a, b)]);
    expect(ours).toEqual(theirs);
    // Equal full versions spelled differently are rarer here (releases must match too).
    for (const [outcome, least] of [
      [-1, 100],
      [0, 5],
      [1, 100],
    ] as const)
      expect(theirs.filter((t) => t[2] === outcome).length).toBeGreaterThan(least);
  });
});

function tarInto(dir: string, file: string): void {
  // Members named without a leading ./, as repo-add writes them (pacman does not strip it).
  const run = spawnSync('bsdtar', ['-czf', file, '-C', dir, ...readdirSync(dir)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bsdtar failed: ${run.stderr}`);
}
