#!/usr/bin/env node
// Issue 27: a cold debian-live build against the reference pipeline, in one run.
// Cold means no build state (a fresh --state and --out per build, like a first build), but a WARM
// PACKAGE CACHE for both sides: our builds find every .deb in the CLI's package cache
// ($XDG_CACHE_HOME/distroforge/debs, filled by an untimed warm-up build), and the reference finds
// the same files in apt's archive cache (copied in by mmdebstrap's setup hook), so the network is
// not what is measured (both still fetch the repositories' InRelease; mmdebstrap its Packages
// indexes as well). --cold-cache: each of our builds gets an empty package cache and the reference
// no archives, so both download everything.
// Each round runs, in an order rotated per round so load changes hit all alike:
//   reference  tools/bench/debian-live-reference-pipeline.sh: mmdebstrap (same suite, packages and
//              mirror) -> mksquashfs zstd 15 -> busybox live initramfs (cpio, zstd -1) ->
//              grub-mkrescue (BIOS + UEFI El Torito, xorriso): an ISO
//   ref-set    `distroforge build` of debian-live with the reference's settings: outputs [iso],
//              firmware [bios, uefi] (no Secure Boot chain), squashfs zstd level 15
//   shipped    `distroforge build` of examples/debian-live as it is (ISO + disk, zstd 3, Secure Boot)
// Prints wall time, CPU (user + sys of the whole process tree, GNU time), CPU use, the ratios and
// targets of issue 27, our per-stage start and duration (out/build-report.json) and the
// reference's per-step times. Needs root (mmdebstrap and the build's chroots), the reference's
// tools (see the pipeline script) and a built CLI (`cd packages/cli && npx tsup`).
// Usage: node tools/bench/debian-live-reference.mjs [--rounds 3] [--cold-cache] [--keep] [--only shipped,ref-set,reference]
//   [--cli PATH]   another build of the CLI (e.g. a copy of an older dist/ inside packages/cli, so
//                  its imports resolve) instead of packages/cli/dist
//   [--baseline-cli PATH]  also build the shipped example with that CLI in every round
//                  ("shipped-base"): before/after figures under the same load
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dpkgPackageSet } from '../testing/dpkg-package-set.mjs';
import { linkReferenceArchives, referenceInclude } from './reference-inputs.mjs';
import { parse, stringify } from 'yaml';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'cold-cache': { type: 'boolean' },
    keep: { type: 'boolean' },
    only: { type: 'string', default: 'reference,ref-set,shipped' },
    cli: { type: 'string' },
    'baseline-cli': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const coldCache = values['cold-cache'] === true;
const repo = resolve(import.meta.dirname, '..', '..');
const cli = values.cli ? resolve(values.cli) : join(repo, 'packages', 'cli', 'dist', 'bin', 'cli.js');
const pipeline = join(import.meta.dirname, 'debian-live-reference-pipeline.sh');
const example = join(repo, 'examples', 'debian-live');
if (!existsSync(cli)) throw new Error(`build the CLI first: cd packages/cli && npx tsup (${cli} missing)`);
const work = mkdtempSync(join(tmpdir(), 'df-bench-debian-live-'));
const s = (seconds) => `${seconds.toFixed(1)} s`;
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const load = () => loadavg()[0].toFixed(1);

/** Runs argv under GNU time: wall, CPU (user + sys of every waited-for descendant). */
function timed(label, argv, env = {}) {
  execFileSync('sync'); // the previous run's dirty pages are not this run's cost
  const stats = join(work, `${label}.time`);
  const before = load();
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', stats, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) throw new Error(`${label} failed (${result.status}):\n${result.stderr.slice(-4000)}`);
  const [wall, user, sys] = readFileSync(stats, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, cpu: user + sys, load: `${before} -> ${load()}` };
}

/** A copy of the example with some keys changed (the copy's airootfs and package list as they are). */
function profileCopy(name, change) {
  const dir = join(work, name);
  execFileSync('cp', ['-r', example, dir]);
  rmSync(join(dir, '.distroforge'), { recursive: true, force: true });
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  const file = join(dir, 'profile.yaml');
  const profile = parse(readFileSync(file, 'utf8'));
  change(profile);
  writeFileSync(file, stringify(profile));
  return { dir, profile };
}

const shipped = profileCopy('shipped', () => {});
const refSet = profileCopy('ref-set', (p) => {
  p.outputs = ['iso'];
  p.firmware = ['bios', 'uefi'];
  p.image = { compression: 'zstd', level: 15 };
});
const suite = shipped.profile.source.suite;
const include = referenceInclude(example, shipped.profile.kernel.package);

/** One `distroforge build`, cold: fresh state and out, optionally a fresh package cache. */
function ours(label, profile, round, program = cli) {
  const state = join(work, `${label}-${round}.state`);
  const out = join(work, `${label}-${round}.out`);
  const env = coldCache ? { XDG_CACHE_HOME: join(work, `${label}-${round}.cache`) } : {};
  const run = timed(
    `${label}-${round}`,
    [process.execPath, program, 'build', profile.dir, '--state', state, '--out', out, '--json'],
    env,
  );
  const report = JSON.parse(readFileSync(join(out, 'build-report.json'), 'utf8'));
  const rootfs = readdirSync(join(state, 'stages', 'rootfs')).find((n) => !n.startsWith('.'));
  return { ...run, report, state, out, rootfsTree: join(state, 'stages', 'rootfs', rootfs, 'rootfs') };
}

/** The reference pipeline, in a fresh directory; its per-step times from its steps.log. */
function reference(round, archives) {
  const dir = join(work, `reference-${round}`);
  mkdirSync(dir);
  const run = timed(`reference-${round}`, ['bash', pipeline, dir, suite, include, archives]);
  const marks = readFileSync(join(dir, 'steps.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  const steps = marks.slice(0, -1).map(([t, name], i) => ({ name, seconds: Number(marks[i + 1][0]) - Number(t) }));
  return { ...run, steps, dir };
}

try {
  console.log(
    `debian-live cold (no build state), ${coldCache ? 'COLD package caches (both download)' : 'warm package caches (no .deb downloaded)'}; ${availableParallelism()} cores, ${rounds} rounds, load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  // Untimed warm-up: fills our package cache and names the exact .debs for the reference's apt.
  const warm = ours('warm-up', shipped, 0);
  const archives = join(work, 'archives');
  mkdirSync(archives);
  if (!coldCache) {
    // Into the page cache: neither side pays for reading them first.
    for (const from of linkReferenceArchives(join(warm.rootfsTree, '..'), archives)) readFileSync(from);
  }
  const warmPackages = dpkgPackageSet(warm.rootfsTree);
  rmSync(warm.state, { recursive: true, force: true });
  rmSync(warm.out, { recursive: true, force: true });

  const kinds = ['reference', 'ref-set', 'shipped'].filter((k) => values.only.split(',').includes(k));
  if (values['baseline-cli']) kinds.push('shipped-base');
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
    const sample = {};
    for (const kind of order) {
      if (kind === 'reference') sample.reference = reference(round, archives);
      else if (kind === 'shipped-base') sample[kind] = ours(kind, shipped, round, resolve(values['baseline-cli']));
      else sample[kind] = ours(kind, kind === 'shipped' ? shipped : refSet, round);
    }
    if (round === 0 && sample.reference) {
      const theirs = dpkgPackageSet(join(sample.reference.dir, 'root'));
      const same = theirs.length === warmPackages.length && theirs.every((line, i) => line === warmPackages[i]);
      console.log(
        `package sets (name version), reference vs ours: ${same ? `identical (${theirs.length})` : `DIFFER (${theirs.length} vs ${warmPackages.length})`}`,
      );
    }
    console.log(`\nround ${round + 1} (order: ${order.join(', ')})`);
    for (const kind of kinds) {
      const x = sample[kind];
      console.log(
        `  ${kind.padEnd(10)} ${s(x.wall).padStart(8)} wall ${s(x.cpu).padStart(8)} CPU ${String(Math.round((100 * x.cpu) / x.wall)).padStart(4)}%  (load ${x.load})`,
      );
      if (x.steps) console.log(`             steps: ${x.steps.map((st) => `${st.name} ${s(st.seconds)}`).join(', ')}`);
      if (x.report)
        console.log(
          `             stages (start+duration): ${x.report.stages.map((st) => `${st.name} ${(st.startMs / 1000).toFixed(1)}+${(st.ms / 1000).toFixed(1)}`).join(', ')}`,
        );
      if (kind !== 'reference' || !values.keep) {
        for (const dir of [x.state, x.out, x.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
      }
    }
    samples.push(sample);
  }

  console.log('\nmedians');
  const m = {};
  for (const kind of kinds) {
    m[kind] = {
      wall: median(samples.map((x) => x[kind].wall)),
      cpu: median(samples.map((x) => x[kind].cpu)),
    };
    console.log(
      `  ${kind.padEnd(10)} ${s(m[kind].wall).padStart(8)} wall ${s(m[kind].cpu).padStart(8)} CPU ${String(Math.round((100 * m[kind].cpu) / m[kind].wall)).padStart(4)}%`,
    );
  }
  if (m.reference && m['ref-set']) {
    const ratio = (k, f) => median(samples.map((x) => x['ref-set'][k] / x.reference[k])).toFixed(2) + f;
    console.log(
      `  ref-set / reference, median of per-round ratios: wall ${ratio('wall', 'x')} (target <= 0.6x), CPU ${ratio('cpu', 'x')}`,
    );
  }
  if (m.shipped) {
    const cpuUse = Math.round((100 * m.shipped.cpu) / m.shipped.wall);
    console.log(
      `  shipped: ${s(m.shipped.wall)} wall (target <= 20 s), CPU use ${cpuUse}% (target >= 170%)${m.reference ? `; / reference ${(m.shipped.wall / m.reference.wall).toFixed(2)}x wall` : ''}`,
    );
  }
  if (m.shipped && m['shipped-base']) {
    const ratio = (k) => median(samples.map((x) => x.shipped[k] / x['shipped-base'][k])).toFixed(2);
    console.log(
      `  shipped / shipped-base (this CLI / the baseline), median of per-round ratios: wall ${ratio('wall')}x, CPU ${ratio('cpu')}x`,
    );
  }
  for (const kind of kinds.filter((k) => k !== 'reference')) {
    const names = samples[0][kind].report.stages.map((st) => st.name);
    const stage = (name, key) => median(samples.map((x) => x[kind].report.stages.find((st) => st.name === name)[key]));
    console.log(
      `  ${kind} stages, median start+duration (s): ${names.map((n) => `${n} ${(stage(n, 'startMs') / 1000).toFixed(1)}+${(stage(n, 'ms') / 1000).toFixed(1)}`).join(', ')}`,
    );
  }
  if (m.reference) {
    const names = samples[0].reference.steps.map((st) => st.name);
    console.log(
      `  reference steps, median (s): ${names.map((n) => `${n} ${median(samples.map((x) => x.reference.steps.find((st) => st.name === n).seconds)).toFixed(1)}`).join(', ')}`,
    );
  }
  console.log(
    `  load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
} finally {
  if (values.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
