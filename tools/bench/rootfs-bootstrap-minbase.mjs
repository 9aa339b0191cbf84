#!/usr/bin/env node
// Benchmark: a bookworm minbase root filesystem built by rootfs-bootstrap vs mmdebstrap, same
// mirror (the host's apt sources: bookworm, -updates, -security), warm package caches, same run.
// Needs root (both run maintainer scripts in a chroot), mmdebstrap, and a built package
// (`npx nx run @distroforge/rootfs-bootstrap:build`). Prints times, peak RSS and ratios.
//   node tools/bench/rootfs-bootstrap-minbase.mjs [--suite bookworm] [--rounds 2] [--keep] [--baseline-cli PATH] [--cold-index] [--include PKG,...]
// --baseline-cli: also time another build of the CLI (e.g. an older commit's dist/cli.js) in the
// same rounds, for before/after ratios measured under the same load.
// --cold-index: our runs (and the baseline's) read the Packages indexes afresh (decompress + scan)
// instead of their rows cache: a private cache holds the verified index files and the same .debs.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dpkgPackageSet } from '../testing/dpkg-package-set.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(repo, 'packages/rootfs-bootstrap/dist/bin/cli.js');
const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'bookworm' },
    rounds: { type: 'string', default: '2' },
    keep: { type: 'boolean' },
    'baseline-cli': { type: 'string' },
    'cold-index': { type: 'boolean' },
    include: { type: 'string' },
  },
});
// --include: extra packages on top of minbase, for both tools (debian-live's set adds
// systemd-sysv,udev,kmod,iproute2,procps,less,linux-image-amd64). Neither builds an initramfs
// (INITRD=No: ours by default, mmdebstrap through the kernel's postinst hook).
const include = values.include ? values.include.split(',').filter(Boolean) : [];
const rounds = Number(values.rounds);
const suite = values.suite;
if (!existsSync(cli)) throw new Error(`build first: npx nx run @distroforge/rootfs-bootstrap:build (${cli} missing)`);
const { resolveRootfs, defaultCacheDir } = await import(join(repo, 'packages/rootfs-bootstrap/dist/index.js'));

const includeArgs = include.length > 0 ? ['--include', include.join(',')] : [];
const work = mkdtempSync(join(tmpdir(), 'bench-rootfs-bootstrap-'));
const cacheDir = defaultCacheDir();

/** Runs a command under GNU time; returns wall seconds and peak RSS (KiB). */
function timed(label, argv) {
  execFileSync('sync'); // the previous run's dirty pages are not this run's cost
  const stats = join(work, `${label}.time`);
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', stats, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (result.status !== 0) throw new Error(`${label} failed (${result.status}):\n${result.stderr.slice(-3000)}`);
  const [seconds, rss] = execFileSync('cat', [stats], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .at(-1)
    .split(' ')
    .map(Number);
  return { seconds, rssMiB: rss / 1024, stdout: result.stdout };
}

try {
  // Warm our cache (downloads only what is missing) and give mmdebstrap the same .debs, by name.
  const plan = await resolveRootfs({ suite, variant: 'minbase', include, cacheDir });
  const ourCacheWarm = plan.packages.every((p) => existsSync(join(cacheDir, 'debs', `${p.sha256}.deb`)));
  if (!ourCacheWarm)
    timed('warm-up', [
      process.execPath,
      cli,
      '--suite',
      suite,
      '--variant',
      'minbase',
      ...includeArgs,
      join(work, 'warmup'),
    ]);
  const aptDebs = join(work, 'apt-archives');
  mkdirSync(aptDebs);
  for (const p of plan.packages) {
    const from = join(cacheDir, 'debs', `${p.sha256}.deb`);
    const to = join(aptDebs, `${p.name}_${p.version.replace(/:/g, '%3a')}_${p.architecture}.deb`);
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
    }
  }

  // --cold-index: a cache of our own with the verified index files but none of their rows caches.
  const ownCache = join(work, 'cache');
  const coldIndex = () => {
    if (!values['cold-index']) return [];
    mkdirSync(join(ownCache, 'indexes'), { recursive: true });
    for (const f of readdirSync(join(cacheDir, 'indexes'))) {
      const to = join(ownCache, 'indexes', f);
      if (/\.(xz|gz)$/.test(f) && !existsSync(to)) copyFileSync(join(cacheDir, 'indexes', f), to);
    }
    for (const f of readdirSync(join(ownCache, 'indexes')))
      if (!/\.(xz|gz)$/.test(f)) rmSync(join(ownCache, 'indexes', f), { force: true });
    if (!existsSync(join(ownCache, 'debs'))) execFileSync('ln', ['-s', join(cacheDir, 'debs'), join(ownCache, 'debs')]);
    return ['--cache', ownCache];
  };

  // Both read the same files: put them in the page cache first so neither pays for the other.
  for (const f of readdirSync(aptDebs)) readFileSync(join(aptDebs, f));

  const runMmdebstrap = (target) =>
    timed('mmdebstrap', [
      'env',
      'INITRD=No',
      'mmdebstrap',
      '--variant=minbase',
      ...includeArgs,
      // /usr merged by symlinks with usr-is-merged, as rootfs-bootstrap sets a root up (and
      // debootstrap): the same packages (mmdebstrap's default installs usrmerge, perl and its
      // libraries, and converts the root in usrmerge's postinst).
      '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
      '--skip=essential/unlink',
      `--setup-hook=mkdir -p "$1/var/cache/apt/archives" && cp -l ${aptDebs}/*.deb "$1/var/cache/apt/archives/"`,
      suite,
      target,
    ]);
  const runOurs = (target, program = cli) => {
    const run = timed('rootfs-bootstrap', [
      process.execPath,
      program,
      '--suite',
      suite,
      '--variant',
      'minbase',
      ...includeArgs,
      '--json',
      ...coldIndex(),
      target,
    ]);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1));
    return { ...run, phases: result.timings, steps: result.configureSteps };
  };
  // Alternate the order every round so neither tool always runs on a warmer (or busier) machine.
  // Every tree stays until the end (~250 MB a round each): on ext4 without a journal, creating a file
  // scans past every inode freed in the last 30-60 s (find_inode_bit, recently_deleted), so deleting
  // the last round's trees right before a run made that run, whichever tool's, up to 2x slower.
  const samples = [];
  let oursTarget;
  let mmdebstrapTarget;
  for (let round = 0; round < rounds; round++) {
    oursTarget = join(work, `ours-${round}`);
    mmdebstrapTarget = join(work, `mmdebstrap-${round}`);
    let ours;
    let mm;
    let baseline;
    const runBaseline = () => {
      if (!values['baseline-cli']) return;
      const dir = join(work, `baseline-${round}`);
      baseline = runOurs(dir, values['baseline-cli']);
    };
    if (round % 2 === 0) {
      ours = runOurs(oursTarget);
      runBaseline();
      mm = runMmdebstrap(mmdebstrapTarget);
    } else {
      mm = runMmdebstrap(mmdebstrapTarget);
      runBaseline();
      ours = runOurs(oursTarget);
    }
    samples.push({ ours, mm, baseline });
  }

  const a = dpkgPackageSet(oursTarget);
  const b = dpkgPackageSet(mmdebstrapTarget);
  const same = a.length === b.length && a.every((line, i) => line === b[i]);
  const median = (xs) => {
    const sorted = [...xs].sort((x, y) => x - y);
    const mid = sorted.length / 2;
    return sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  console.log(
    `rootfs-bootstrap vs mmdebstrap, ${suite} minbase${include.length > 0 ? ` + ${include.join(',')}` : ''}, warm caches${values['cold-index'] ? ' (ours: index rows cache cold)' : ''} (${plan.packages.length} packages), ${rounds} rounds`,
  );
  samples.forEach(({ ours, mm, baseline }, i) => {
    console.log(
      `  round ${i + 1} (${i % 2 === 0 ? 'ours first' : 'mmdebstrap first'}): rootfs-bootstrap ${ours.seconds.toFixed(1)} s ${ours.rssMiB.toFixed(0)} MiB | mmdebstrap ${mm.seconds.toFixed(1)} s ${mm.rssMiB.toFixed(0)} MiB | time ratio ${(ours.seconds / mm.seconds).toFixed(2)}x`,
    );
    console.log(
      `    our phases (ms): ${Object.entries(ours.phases)
        .map(([k, v]) => `${k.replace(/Ms$/, '')} ${v}`)
        .join(', ')}`,
    );
    console.log(`    our install steps (ms): ${ours.steps.map((x) => `${x.step} ${x.ms}`).join(', ')}`);
    if (baseline)
      console.log(
        `    baseline ${baseline.seconds.toFixed(1)} s ${baseline.rssMiB.toFixed(0)} MiB, time ratio ${(baseline.seconds / mm.seconds).toFixed(2)}x; phases (ms): ${Object.entries(
          baseline.phases,
        )
          .map(([k, v]) => `${k.replace(/Ms$/, '')} ${v}`)
          .join(', ')}`,
      );
  });
  const oursMedian = median(samples.map((x) => x.ours.seconds));
  const mmMedian = median(samples.map((x) => x.mm.seconds));
  const oursRss = Math.max(...samples.map((x) => x.ours.rssMiB));
  const mmRss = Math.max(...samples.map((x) => x.mm.rssMiB));
  console.log(`  median of per-round ratios: ${median(samples.map((x) => x.ours.seconds / x.mm.seconds)).toFixed(2)}x`);
  if (values['baseline-cli']) {
    console.log(
      `  baseline (${values['baseline-cli']}): median time ${median(samples.map((x) => x.baseline.seconds)).toFixed(1)} s, median of per-round ratios ${median(samples.map((x) => x.baseline.seconds / x.mm.seconds)).toFixed(2)}x, peak RSS ${Math.max(...samples.map((x) => x.baseline.rssMiB)).toFixed(0)} MiB (median ${median(samples.map((x) => x.baseline.rssMiB)).toFixed(0)} MiB)`,
    );
  }
  console.log(
    `  median time: rootfs-bootstrap ${oursMedian.toFixed(1)} s, mmdebstrap ${mmMedian.toFixed(1)} s -> ratio ${(oursMedian / mmMedian).toFixed(2)}x (target <= 0.6x)`,
  );
  const oursRssMedian = median(samples.map((x) => x.ours.rssMiB));
  const mmRssMedian = median(samples.map((x) => x.mm.rssMiB));
  console.log(
    `  peak RSS, highest of the rounds: rootfs-bootstrap ${oursRss.toFixed(0)} MiB, mmdebstrap ${mmRss.toFixed(0)} MiB -> ratio ${(oursRss / mmRss).toFixed(2)}x (target: ours <= 200 MiB)`,
  );
  console.log(
    `  peak RSS, median of the rounds: rootfs-bootstrap ${oursRssMedian.toFixed(0)} MiB, mmdebstrap ${mmRssMedian.toFixed(0)} MiB -> ratio ${(oursRssMedian / mmRssMedian).toFixed(2)}x`,
  );
  console.log(`  load average at the end: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`);
  console.log(`  package sets (name version): ${same ? 'identical' : `DIFFER (${a.length} vs ${b.length})`}`);
  if (!same) process.exitCode = 1;
} finally {
  if (values.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
