#!/usr/bin/env node
// Benchmark: resolve + install from the pacman test repository (tools/pacman-test-repo/generate.mjs)
// with rootfs-bootstrap (`--source pacman:file://...` --repos core,extra[,bulk]: bootstrapPacman) vs
// Debian's `pacman -r ROOT -Sy --noconfirm` (a scratch dbpath and pacman.conf per run, as the tests'
// pacman-oracle.ts does), the same packages, same run, alternating the order. Two requests:
//   - `small`: the test repository's own largest request, the bootable set (`base linux`: Debian's
//     kernel and busybox) with every other package that can join it (22 packages, 14 MiB);
//   - `largest`: that plus `bulk-set`, the bulk repository (tools/pacman-test-repo/bulk.mjs: ~40 of
//     Debian's packages repackaged, ~250 MB installed) — a request of a real system's weight. Both read the sync databases, check each package's SHA-256
// against them (signatures off: SigLevel = Never / --sig-level off) from a warm package cache,
// unpack, and write pacman's local database. Two times for ours: the bin's wall time, and the
// bootstrapPacman call alone in a process that has loaded the package (as the distroforge CLI runs it).
// Needs a built package (`npx tsup` in packages/rootfs-bootstrap), pacman (pacman-package-manager),
// bsdtar, zstd, tools/fetch-kernel. Prints times, peak RSS and ratios.
//   node tools/bench/pacman-bootstrap.mjs [--rounds 5] [--only small|largest] [--dist DIR] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generatePacmanBulkRepo } from '../pacman-test-repo/bulk.mjs';
import { generatePacmanTestRepo } from '../pacman-test-repo/generate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
// --dist: a copy of the package's dist/ inside the repository (so its dependencies resolve), which a
// rebuild of dist/ during the run cannot pull away.
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    keep: { type: 'boolean' },
    only: { type: 'string' },
    dist: { type: 'string', default: join(root, 'packages/rootfs-bootstrap/dist') },
  },
});
const dist = resolve(values.dist);
const cli = join(dist, 'bin/cli.js');
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds needs a whole number >= 1, got ${values.rounds}`);
if (!existsSync(cli)) throw new Error(`build first: npx tsup in packages/rootfs-bootstrap (${cli} missing)`);

/** The test repository's largest request: the boot set and every package compatible with it (accounts, hooked and sh-runtime conflict with it). */
const SMALL = ['base', 'linux', 'app', 'editors', 'xorg', 'needs-oldtool', 'needs-vi', 'libfoo-ng', 'conflict-b'];

const repo = await generatePacmanTestRepo(join(root, '.cache/pacman-test-repo/repo'));
const bulk = await generatePacmanBulkRepo(join(root, '.cache/pacman-test-repo/bulk'), repo, {
  log: (line) => console.error(line),
});
const work = mkdtempSync(join(tmpdir(), 'bench-pacman-bootstrap-'));
// One mirror for the three repositories ($repo), as a pacman mirrorlist line serves them.
const mirrorDir = join(work, 'mirror');
mkdirSync(mirrorDir);
for (const { name, dir } of repo.repos) symlinkSync(dir, join(mirrorDir, name));
symlinkSync(bulk.dir, join(mirrorDir, 'bulk'));
const mirror = `${pathToFileURL(mirrorDir).href}/$repo`;

const WORKLOADS = [
  { name: 'small', repos: ['core', 'extra'], request: SMALL },
  { name: 'largest', repos: ['core', 'extra', 'bulk'], request: [...SMALL, ...bulk.request] },
].filter((w) => !values.only || w.name === values.only);

/** Runs a command under GNU time; returns wall seconds and peak RSS (MiB). */
function timed(label, argv) {
  execFileSync('sync'); // the previous run's dirty pages are not this run's cost
  const stats = join(work, `${label}.time`);
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', stats, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (result.status !== 0)
    throw new Error(
      `${label} failed (${result.status}):\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-3000)}`,
    );
  const [seconds, rss] = readFileSync(stats, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, rssMiB: rss / 1024, stdout: result.stdout };
}

const ours = (w, cacheDir, target) =>
  timed('ours', [
    process.execPath,
    cli,
    '--source',
    `pacman:${mirror}`,
    '--repos',
    w.repos.join(','),
    '--include',
    w.request.join(','),
    '--sig-level',
    'off',
    '--cache',
    cacheDir,
    '--json',
    target,
  ]);

/**
 * bootstrapPacman called in a Node process that has loaded the package already (as the distroforge
 * CLI calls it): the time of the call alone, without Node's start and module loading (which the
 * bin's time includes).
 */
const IN_PROCESS = `
const [index, mirror, repos, include, cacheDir, target] = process.argv.slice(1);
const { bootstrapPacman } = await import(index);
const started = performance.now();
const result = await bootstrapPacman({ repositories: repos.split(',').map((name) => ({ name, server: mirror })), include: include.split(','), cacheDir, target });
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, packages: result.packages.length }));
`;
const inProcess = (w, cacheDir, target) => {
  const result = timed('in-process', [
    process.execPath,
    '--input-type=module',
    '-e',
    IN_PROCESS,
    pathToFileURL(join(dist, 'index.js')).href,
    mirror,
    w.repos.join(','),
    w.request.join(','),
    cacheDir,
    target,
  ]);
  return { ...result, seconds: JSON.parse(result.stdout.trim().split('\n').at(-1)).seconds };
};

/** A scratch pacman setup (dbpath with an empty local database, pacman.conf with a shared CacheDir) for one run into `target`. */
function pacman(w, pacmanCache, target) {
  const dir = `${target}.pacman`;
  mkdirSync(join(dir, 'db/local'), { recursive: true });
  mkdirSync(join(dir, 'db/sync'));
  writeFileSync(join(dir, 'db/local/ALPM_DB_VERSION'), '9\n');
  mkdirSync(target);
  const config = join(dir, 'pacman.conf');
  writeFileSync(
    config,
    [
      `[options]\nArchitecture = x86_64\nSigLevel = Never\nCacheDir = ${pacmanCache}/\nLogFile = ${join(dir, 'pacman.log')}\n`,
      ...w.repos.map((r) => `[${r}]\nSigLevel = Never\nServer = ${mirror.replace('$repo', r)}\n`),
    ].join('\n'),
  );
  const result = timed('pacman', [
    'pacman',
    '--config',
    config,
    '--dbpath',
    join(dir, 'db'),
    '-r',
    target,
    '-Sy',
    '--noconfirm',
    ...w.request,
  ]);
  return { ...result, dbpath: join(dir, 'db'), dir };
}

const oursSet = (stdout) =>
  JSON.parse(stdout.trim().split('\n').at(-1))
    .packages.map((p) => `${p.name} ${p.version}`)
    .sort();
const pacmanSet = (dbpath, target) =>
  execFileSync('pacman', ['--dbpath', dbpath, '-r', target, '-Q'], { encoding: 'utf8' }).trim().split('\n').sort();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Measures one workload; returns whether both installed the same set. The trees stay until the
 * workload is done: deleting a few hundred MB of small files right before the next run leaves the
 * file system busy (journal, discards) and slowed the next run by several times, whoever it was.
 */
function measure(w) {
  const made = [];
  const cacheDir = join(work, `cache-${w.name}`);
  const pacmanCache = join(work, `pacman-cache-${w.name}`);
  const run = { ours, inProcess, pacman: (x, _cache, target) => pacman(x, pacmanCache, target) };
  // Warm-up: both package caches filled, the page cache warm for both.
  for (const who of ['ours', 'inProcess', 'pacman']) {
    const target = join(work, `warm-${w.name}-${who}`);
    const result = run[who](w, cacheDir, target);
    made.push(target, ...(result.dir ? [result.dir] : []));
  }
  const times = { ours: [], inProcess: [], pacman: [] };
  const rss = { ours: [], inProcess: [], pacman: [] };
  const sets = {};
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ['ours', 'inProcess', 'pacman'] : ['pacman', 'inProcess', 'ours'];
    for (const who of order) {
      const target = join(work, `${w.name}-${who}-${i}`);
      const result = run[who](w, cacheDir, target);
      times[who].push(result.seconds);
      rss[who].push(result.rssMiB);
      if (i === 0 && who !== 'inProcess')
        sets[who] = who === 'ours' ? oursSet(result.stdout) : pacmanSet(result.dbpath, target);
      made.push(target, ...(result.dir ? [result.dir] : []));
    }
  }
  if (!values.keep) for (const dir of made) rmSync(dir, { recursive: true, force: true });
  const same = JSON.stringify(sets.ours) === JSON.stringify(sets.pacman);
  const bytes = Number(
    execFileSync('du', ['-sbL', ...w.repos.map((r) => join(mirrorDir, r))], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .reduce((n, l) => n + Number(l.split('\t')[0]), 0),
  );
  const t = { ours: median(times.ours), inProcess: median(times.inProcess), pacman: median(times.pacman) };
  const ratios = (who) => median(times[who].map((x, k) => x / times.pacman[k]));
  const m = { ours: Math.max(...rss.ours), pacman: Math.max(...rss.pacman) };
  console.log(
    `\n[${w.name}] repositories ${w.repos.join(',')} (${(bytes / 2 ** 20).toFixed(1)} MiB), request: ${w.request.join(' ')}`,
  );
  console.log(
    `${sets.ours.length} packages, same set and versions as pacman: ${same ? 'yes' : `NO\n  ours   ${sets.ours.join(', ')}\n  pacman ${sets.pacman.join(', ')}`}`,
  );
  console.log(
    `  time, the bin (Node's start and module loading included)  ours ${t.ours.toFixed(2)} s   pacman ${t.pacman.toFixed(2)} s   ratio ${(t.ours / t.pacman).toFixed(2)}x (median of per-round ratios ${ratios('ours').toFixed(2)}x)`,
  );
  console.log(
    `  time, bootstrapPacman in a loaded process                  ours ${t.inProcess.toFixed(2)} s   pacman ${t.pacman.toFixed(2)} s   ratio ${(t.inProcess / t.pacman).toFixed(2)}x (median of per-round ratios ${ratios('inProcess').toFixed(2)}x)`,
  );
  console.log(
    `  rounds: bin ${times.ours.join(' ')}; in-process ${times.inProcess.map((x) => x.toFixed(2)).join(' ')}; pacman ${times.pacman.join(' ')}`,
  );
  console.log(
    `  peak RSS (bin) ours ${m.ours.toFixed(0)} MiB   pacman ${m.pacman.toFixed(0)} MiB   ratio ${(m.ours / m.pacman).toFixed(2)}x`,
  );
  return same;
}

try {
  console.log(
    `rootfs-bootstrap (bootstrapPacman) vs Debian's pacman -r ROOT -Sy, ${rounds} rounds, ${process.getuid?.() === 0 ? 'as root' : 'as an ordinary user'}`,
  );
  if (bulk.leftOut.length) console.log(`bulk repository: left out ${bulk.leftOut.join(', ')}`);
  let same = true;
  for (const w of WORKLOADS) same = measure(w) && same;
  if (!same) process.exitCode = 1;
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
