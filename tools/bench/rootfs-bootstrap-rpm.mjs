#!/usr/bin/env node
// Benchmark: resolve + install from the rpm test repository (tools/rpm-test-repo/generate.mjs) with
// rootfs-bootstrap (`--source rpm-repo:`) vs `dnf --installroot`, same repository, same run,
// alternating the order. Two requests: `@minimal` (the boot set: Debian's kernel + busybox) and
// `df-app df-locale` (the dependency-form packages; scriptlets run by both when root).
// dnf also writes an rpmdb, we do not (README); both verify package checksums.
// Needs a built package (`npx nx run @distroforge/rootfs-bootstrap:build`), dnf, rpmbuild, createrepo_c.
//   node tools/bench/rootfs-bootstrap-rpm.mjs [--rounds 3] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateRpmTestRepo } from '../rpm-test-repo/generate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'packages/rootfs-bootstrap/dist/bin/cli.js');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, keep: { type: 'boolean' } } });
const rounds = Number(values.rounds);
if (!existsSync(cli)) throw new Error(`build first: npx nx run @distroforge/rootfs-bootstrap:build (${cli} missing)`);
const asRoot = process.getuid?.() === 0;

const repo = (await generateRpmTestRepo(join(root, '.cache/rpm-test-repo/repo'))).dir;
const work = mkdtempSync(join(tmpdir(), 'bench-rootfs-bootstrap-rpm-'));
const cacheDir = join(work, 'cache');
const dnfConf = join(work, 'dnf.conf');
writeFileSync(
  dnfConf,
  `[main]\nreposdir=/dev/null\ncachedir=${join(work, 'dnf-cache')}\nkeepcache=True\n[df]\nname=df\nbaseurl=file://${repo}\ngpgcheck=0\n`,
);

/** Runs a command under GNU time; returns wall seconds and peak RSS (MiB). */
function timed(label, argv) {
  execFileSync('sync');
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

const requests = [
  { name: '@minimal', include: ['@minimal'] },
  { name: 'df-app df-locale', include: ['df-app', 'df-locale'] },
];

const ours = (include, target) =>
  timed('ours', [
    process.execPath,
    cli,
    '--source',
    `rpm-repo:${repo}`,
    '--include',
    include.join(','),
    '--arch',
    'x86_64',
    '--cache',
    cacheDir,
    '--json',
    ...(asRoot ? ['--scriptlets'] : []),
    target,
  ]);
const dnf = (include, target) =>
  timed('dnf', [
    'dnf',
    '-c',
    dnfConf,
    '--installroot',
    target,
    '--releasever',
    '1',
    '--forcearch',
    'x86_64',
    '-y',
    '-q',
    '--nogpgcheck',
    ...(asRoot ? [] : ['--setopt=tsflags=noscripts']),
    'install',
    ...include,
  ]);

const oursSet = (stdout) =>
  JSON.parse(stdout.trim().split('\n').at(-1))
    .packages.map((p) => `${p.name}-${p.version}.${p.architecture}`)
    .sort();
const dnfSet = (target) =>
  execFileSync(
    'rpm',
    ['--root', target, '-qa', '--qf', '%{NAME}-%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}.%{ARCH}\\n'],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('gpg-pubkey'))
    .sort();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  // Warm-up: our package cache and dnf's metadata cache, and the page cache for both.
  for (const r of requests) {
    ours(r.include, join(work, `warm-ours-${r.include[0]}`));
    dnf(r.include, join(work, `warm-dnf-${r.include[0]}`));
  }
  console.log(
    `rootfs-bootstrap vs dnf --installroot, repository ${repo}, ${rounds} rounds, ${asRoot ? 'scriptlets on' : 'scriptlets off'}`,
  );
  for (const r of requests) {
    const times = { ours: [], dnf: [] };
    const rss = { ours: [], dnf: [] };
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ['ours', 'dnf'] : ['dnf', 'ours'];
      for (const who of order) {
        const target = join(work, `${who}-${i}-${r.include[0]}`);
        const result = who === 'ours' ? ours(r.include, target) : dnf(r.include, target);
        times[who].push(result.seconds);
        rss[who].push(result.rssMiB);
        if (i === 0 && who === 'ours') r.oursSet = oursSet(result.stdout);
        if (i === 0 && who === 'dnf') r.dnfSet = dnfSet(target);
        if (!values.keep) rmSync(target, { recursive: true, force: true });
      }
    }
    const same = JSON.stringify(r.oursSet) === JSON.stringify(r.dnfSet);
    const t = { ours: median(times.ours), dnf: median(times.dnf) };
    const m = { ours: Math.max(...rss.ours), dnf: Math.max(...rss.dnf) };
    console.log(
      `\n${r.name}: ${r.oursSet.length} packages, same set as dnf: ${same ? 'yes' : `NO\n  ours ${r.oursSet.join(' ')}\n  dnf  ${r.dnfSet.join(' ')}`}`,
    );
    console.log(
      `  time     ours ${t.ours.toFixed(2)} s   dnf ${t.dnf.toFixed(2)} s   ratio ${(t.ours / t.dnf).toFixed(2)}x   (rounds ours ${times.ours.join(' ')}, dnf ${times.dnf.join(' ')})`,
    );
    console.log(
      `  peak RSS ours ${m.ours.toFixed(0)} MiB   dnf ${m.dnf.toFixed(0)} MiB   ratio ${(m.ours / m.dnf).toFixed(2)}x`,
    );
  }
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
