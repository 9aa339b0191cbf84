#!/usr/bin/env node
// Benchmark: @distroforge/rpm-extract vs `rpm2cpio FILE | cpio -idm` on one large RPM built in the
// run with rpmbuild: seeded pseudo-random (incompressible) files plus many small text files.
// Not part of the test suite. Needs a build (`npm run build`): runs the package's dist/cli.js.
// Also times extractRpm in a warm process (verifying; start-up and JIT warm-up not counted).
// Usage: node tools/bench/rpm-extract-large.mjs [--mb 120] [--small 4000] [--payload w6.gzdio] [--runs 3] [--keep-rpm FILE]
//        node tools/bench/rpm-extract-large.mjs --rpm FILE [--runs 3]   (time an existing package instead of building one)
// --cli PATH times another build of the command (default: packages/rpm-extract/dist/cli.js).
// --baseline-cli PATH also times another build (e.g. of the previous commit) in the same rounds.
// --quick times only the command (verifying) and the reference (and the baseline), not --no-verify or the warm process.
// --tmp DIR puts the work directory (package, outputs) on another file system, e.g. /dev/shm.
// Outputs are deleted only at the end: on ext4 without a journal, file creation skips inodes freed
// in the last minutes (fs/ext4/ialloc.c recently_deleted), so deleting one run's 4000 files just
// before the next would slow whichever command runs next.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const megabytes = Number(arg('mb', '120'));
const smallFiles = Number(arg('small', '4000'));
// Debian's rpm2cpio cannot unpack zstd payloads, so the shared comparison uses gzip by default.
const payload = arg('payload', 'w6.gzdio');
const runs = Number(arg('runs', '3'));
const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = arg('cli') ? resolve(arg('cli')) : join(repo, 'packages/rpm-extract/dist/cli.js');
const work = await mkdtemp(join(arg('tmp') ?? tmpdir(), 'rpm-extract-bench-'));

/** xorshift128: deterministic bytes, so every run benchmarks the same package. */
function seededBytes(length, seed) {
  let x = seed | 0 || 1,
    y = 362436069,
    z = 521288629,
    w = 88675123;
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    words[i] = w;
  }
  return Buffer.from(words.buffer, 0, length);
}

/**
 * Builds the benchmark package with rpmbuild; returns its path (in the work directory). The file
 * tree and rpmbuild's directories live on tmpfs when there is one: rpmbuild deletes its build root
 * (thousands of files) when done, and for the next minute or so journal-less ext4 skips those
 * freed inodes one by one on every file creation (ialloc.c recently_deleted), which slowed the
 * first rounds of both commands by a second or more and made the figures bimodal.
 */
async function buildPackage() {
  const scratch = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : work, 'rpm-extract-bench-build-'));
  try {
    const built = await buildPackageIn(scratch);
    const rpm = join(work, basename(built));
    await copyFile(built, rpm);
    return rpm;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function buildPackageIn(work) {
  const tree = join(work, 'tree/opt/bench');
  await mkdir(join(tree, 'big'), { recursive: true });
  const chunk = 8 << 20;
  for (let i = 0; i * chunk < megabytes << 20; i++)
    await writeFile(join(tree, 'big', `blob-${i}.bin`), seededBytes(chunk, 1000 + i));
  for (let i = 0; i < smallFiles; i++) {
    const dir = join(tree, 'small', `d${i % 64}`);
    if (i < 64) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${i}.txt`), `file ${i}\n`.repeat(1 + (i % 200)));
  }
  const top = join(work, 'top');
  await mkdir(top);
  const spec = join(top, 'bench.spec');
  await writeFile(
    spec,
    `Name: df-bench\nVersion: 1\nRelease: 1\nSummary: bench\nLicense: MIT\nBuildArch: noarch\n%description\nbench\n%install\ncp -a ${join(work, 'tree')}/. %{buildroot}/\n%files\n/opt/bench\n`,
  );
  const buildStart = performance.now();
  await execa(
    'rpmbuild',
    [
      '-bb',
      '--quiet',
      '--define',
      `_topdir ${top}`,
      '--define',
      `_binary_payload ${payload}`,
      '--define',
      '__os_install_post %{nil}',
      '--define',
      'debug_package %{nil}',
      '--define',
      '_build_id_links none',
      spec,
    ],
    {
      env: { SOURCE_DATE_EPOCH: '1700000000' },
    },
  );
  const rpmdir = join(top, 'RPMS/noarch');
  const rpm = join(rpmdir, (await readdir(rpmdir))[0]);
  const size = (await stat(rpm)).size;
  console.log(
    `package: ${(size / 1e6).toFixed(1)} MB (${payload}), ${megabytes} MB random + ${smallFiles} small files; built in ${((performance.now() - buildStart) / 1000).toFixed(1)} s`,
  );
  return rpm;
}

try {
  const rpm = arg('rpm') ?? (await buildPackage());
  const size = (await stat(rpm)).size;
  if (arg('keep-rpm')) await execa('cp', [rpm, arg('keep-rpm')]);
  if (arg('rpm')) console.log(`package: ${(size / 1e6).toFixed(1)} MB (${rpm})`);

  /** Runs a command under GNU time; returns wall seconds, CPU seconds (user + system) and peak RSS (KiB) of the process tree. */
  async function measure(cmd, args, cwd) {
    const out = join(work, 'time.txt');
    const start = performance.now();
    await execa('/usr/bin/time', ['-o', out, '-f', '%M %U %S', cmd, ...args], { cwd, stdout: 'ignore' });
    const seconds = (performance.now() - start) / 1000;
    const [rss, user, system] = (await execa('tail', ['-n1', out])).stdout.split(' ').map(Number);
    return { seconds, rss, cpu: user + system };
  }

  /**
   * extractRpm in a process that has already extracted the package once (as a tool installing many
   * packages runs): Node's start-up and JIT warm-up are not counted. Timed inside the process.
   */
  async function measureWarm(dir) {
    const index = join(dirname(cli), 'index.js');
    const script = `
      const { extractRpm } = await import(${JSON.stringify(index)});
      await extractRpm(process.argv[1], process.argv[2] + '-warm-up');
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      await extractRpm(process.argv[1], process.argv[2]);
      const cpu = process.cpuUsage(cpu0);
      console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000, cpu: (cpu.user + cpu.system) / 1e6, rss: process.resourceUsage().maxRSS }));`;
    const { stdout } = await execa(process.execPath, ['--input-type=module', '-e', script, rpm, dir]);
    return JSON.parse(stdout);
  }

  const baselineCli = arg('baseline-cli') ? resolve(arg('baseline-cli')) : undefined;
  const variants = [
    'ours',
    ...(process.argv.includes('--quick') ? [] : ['unverified', 'warm']),
    ...(baselineCli ? ['baseline'] : []),
    'reference',
  ];
  const results = Object.fromEntries(variants.map((v) => [v, []]));
  for (let run = 0; run < runs; run++) {
    for (const which of run % 2 ? [...variants].reverse() : variants) {
      const dir = join(work, `out-${which}-${run}`);
      await mkdir(dir);
      await execa('sync');
      const r =
        which === 'ours'
          ? await measure(process.execPath, [cli, rpm, '-C', dir], work)
          : which === 'unverified'
            ? await measure(process.execPath, [cli, rpm, '-C', dir, '--no-verify'], work)
            : which === 'warm'
              ? await measureWarm(dir)
              : which === 'baseline'
                ? await measure(process.execPath, [baselineCli, rpm, '-C', dir], work)
                : await measure('sh', ['-c', 'rpm2cpio "$1" | cpio -idm --quiet', 'sh', rpm], dir);
      results[which].push(r);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (name, rs) => {
    const t = median(rs.map((r) => r.seconds));
    const m = median(rs.map((r) => r.rss));
    const c = median(rs.map((r) => r.cpu));
    console.log(
      `${name.padEnd(28)} ${t.toFixed(2).padStart(7)} s  ${c.toFixed(2).padStart(5)} s CPU  ${(m / 1024).toFixed(0).padStart(5)} MiB peak RSS   runs: ${rs.map((r) => r.seconds.toFixed(2)).join(' ')}`,
    );
    return { t, m, c };
  };
  const names = {
    ours: 'rpm-extract (verifying)',
    unverified: 'rpm-extract --no-verify',
    warm: 'extractRpm in a warm process',
    baseline: 'baseline build (verifying)',
    reference: 'rpm2cpio | cpio -idm',
  };
  const rows = Object.fromEntries(variants.map((v) => [v, row(names[v], results[v])]));
  const b = rows.reference;
  const compared = variants.filter((v) => v !== 'reference');
  // The median of the per-round ratios: both sides of a round ran seconds apart, under the same load.
  const perRound = (v, key) => median(results[v].map((r, i) => r[key] / results.reference[i][key]));
  console.log(
    `time ratio ours/reference (ratio of medians): ${compared.map((v) => `${v} ${(rows[v].t / b.t).toFixed(2)}`).join(', ')}`,
  );
  console.log(
    `time ratio ours/reference (median of per-round ratios): ${compared.map((v) => `${v} ${perRound(v, 'seconds').toFixed(2)}`).join(', ')}`,
  );
  console.log(
    `CPU-time ratio ours/reference: ${compared.map((v) => `${v} ${(rows[v].c / b.c).toFixed(2)}`).join(', ')}`,
  );
  console.log(
    `peak-memory ratio ours/reference: ${compared.map((v) => `${v} ${(rows[v].m / b.m).toFixed(2)}`).join(', ')}`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
