#!/usr/bin/env node
// Benchmark: resolve + install from the pacman test repository (tools/pacman-test-repo/generate.mjs)
// with rootfs-bootstrap (`--source pacman:file://...` --repos core,extra: bootstrapPacman) vs
// Debian's `pacman -r ROOT -Sy --noconfirm` (a scratch dbpath and pacman.conf per run, as the tests'
// pacman-oracle.ts does), the same packages, same run, alternating the order. The request is the
// repository's largest: the bootable set (`base linux`: Debian's kernel and busybox) with every
// other package that can join it. Both read the sync databases, check each package's SHA-256
// against them (signatures off: SigLevel = Never / --sig-level off) from a warm package cache,
// unpack, and write pacman's local database. Two times for ours: the bin's wall time, and the
// bootstrapPacman call alone in a process that has loaded the package (as the distroforge CLI runs it).
// Needs a built package (`npx tsup` in packages/rootfs-bootstrap), pacman (pacman-package-manager),
// bsdtar, zstd, tools/fetch-kernel. Prints times, peak RSS and ratios.
//   node tools/bench/pacman-bootstrap.mjs [--rounds 5] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generatePacmanTestRepo } from '../pacman-test-repo/generate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'packages/rootfs-bootstrap/dist/cli.js');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, keep: { type: 'boolean' } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds needs a whole number >= 1, got ${values.rounds}`);
if (!existsSync(cli)) throw new Error(`build first: npx tsup in packages/rootfs-bootstrap (${cli} missing)`);

/** The largest request: the boot set and every package compatible with it (accounts, hooked and sh-runtime conflict with it). */
const REQUEST = ['base', 'linux', 'app', 'editors', 'xorg', 'needs-oldtool', 'needs-vi', 'libfoo-ng', 'conflict-b'];

const repo = await generatePacmanTestRepo(join(root, '.cache/pacman-test-repo/repo'));
const work = mkdtempSync(join(tmpdir(), 'bench-pacman-bootstrap-'));
const cacheDir = join(work, 'cache');
const pacmanCache = join(work, 'pacman-cache');
const mirror = `${pathToFileURL(repo.dir).href}/$repo`;

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

const ours = (target) =>
  timed('ours', [
    process.execPath,
    cli,
    '--source',
    `pacman:${mirror}`,
    '--repos',
    'core,extra',
    '--include',
    REQUEST.join(','),
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
const [index, mirror, include, cacheDir, target] = process.argv.slice(1);
const { bootstrapPacman } = await import(index);
const started = performance.now();
const result = await bootstrapPacman({ repositories: ['core', 'extra'].map((name) => ({ name, server: mirror })), include: include.split(','), cacheDir, target });
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, packages: result.packages.length }));
`;
const inProcess = (target) => {
  const result = timed('in-process', [
    process.execPath,
    '--input-type=module',
    '-e',
    IN_PROCESS,
    pathToFileURL(join(root, 'packages/rootfs-bootstrap/dist/index.js')).href,
    mirror,
    REQUEST.join(','),
    cacheDir,
    target,
  ]);
  return { ...result, seconds: JSON.parse(result.stdout.trim().split('\n').at(-1)).seconds };
};

/** A scratch pacman setup (dbpath with an empty local database, pacman.conf with a shared CacheDir) for one run into `target`. */
function pacman(target) {
  const dir = `${target}.pacman`;
  mkdirSync(join(dir, 'db/local'), { recursive: true });
  mkdirSync(join(dir, 'db/sync'));
  writeFileSync(join(dir, 'db/local/ALPM_DB_VERSION'), '9\n');
  mkdirSync(target);
  const config = join(dir, 'pacman.conf');
  writeFileSync(
    config,
    readFileSync(repo.config, 'utf8').replace(
      '[options]\n',
      `[options]\nCacheDir = ${pacmanCache}/\nLogFile = ${join(dir, 'pacman.log')}\n`,
    ),
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
    ...REQUEST,
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

try {
  // Warm-up: both package caches filled, the page cache warm for both.
  ours(join(work, 'warm-ours'));
  inProcess(join(work, 'warm-in-process'));
  pacman(join(work, 'warm-pacman'));
  const times = { ours: [], inProcess: [], pacman: [] };
  const rss = { ours: [], inProcess: [], pacman: [] };
  const sets = {};
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ['ours', 'inProcess', 'pacman'] : ['pacman', 'inProcess', 'ours'];
    for (const who of order) {
      const target = join(work, `${who}-${i}`);
      const result = who === 'ours' ? ours(target) : who === 'inProcess' ? inProcess(target) : pacman(target);
      times[who].push(result.seconds);
      rss[who].push(result.rssMiB);
      if (i === 0 && who !== 'inProcess')
        sets[who] = who === 'ours' ? oursSet(result.stdout) : pacmanSet(result.dbpath, target);
      if (!values.keep) rmSync(target, { recursive: true, force: true });
      if (!values.keep && result.dir) rmSync(result.dir, { recursive: true, force: true });
    }
  }
  const same = JSON.stringify(sets.ours) === JSON.stringify(sets.pacman);
  const bytes = Number(
    execFileSync('du', ['-sb', join(repo.dir, 'core'), join(repo.dir, 'extra')], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .reduce((n, l) => n + Number(l.split('\t')[0]), 0),
  );
  const t = { ours: median(times.ours), inProcess: median(times.inProcess), pacman: median(times.pacman) };
  const ratios = (who) => median(times[who].map((x, k) => x / times.pacman[k]));
  const m = { ours: Math.max(...rss.ours), pacman: Math.max(...rss.pacman) };
  console.log(
    `rootfs-bootstrap (bootstrapPacman) vs Debian's pacman -r ROOT -Sy, repository ${repo.dir} (${(bytes / 2 ** 20).toFixed(1)} MiB), ${rounds} rounds, ${process.getuid?.() === 0 ? 'as root' : 'as an ordinary user'}`,
  );
  console.log(`request: ${REQUEST.join(' ')}`);
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
  if (!same) process.exitCode = 1;
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
