#!/usr/bin/env node
// Benchmark: @distroforge/squashfs-wrap vs raw mksquashfs on the same tree, and the dev vs release
// preset. Not part of the test suite. Tree: $BENCH_TREE, or a hard-linked copy of a few
// /usr/share directories (~300 MB). Needs a build (`npm run build`): imports the package's dist/.
// Usage: node tools/bench/squashfs-wrap-overhead.mjs [--runs N]
import { createSquashfs, presets } from '@distroforge/squashfs-wrap';
import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const epoch = 1_700_000_000;
const work = await mkdtemp(join(tmpdir(), 'squashfs-bench-'));
let tree = process.env.BENCH_TREE;
if (!tree) {
  tree = join(work, 'tree');
  await mkdir(tree);
  for (const dir of ['locale', 'man', 'vim', 'perl', 'icons'])
    await execa('cp', ['-al', `/usr/share/${dir}`, join(tree, dir)]);
}
const { stdout: du } = await execa('du', ['-sb', tree]);
const treeBytes = Number(du.split('\t')[0]);
const { stdout: version } = await execa('mksquashfs', ['-version']);
console.log(
  `tree ${tree}: ${(treeBytes / 1e6).toFixed(0)} MB; ${version.split('\n')[0]}; ${runs} alternating runs each`,
);

// The wrapper finds mksquashfs through a shim on PATH that records the real mksquashfs' own wall and
// CPU time with GNU time, so the wrapper's share (wall time outside mksquashfs) is measured directly
// instead of being read off two noisy end-to-end timings.
const realMksquashfs = (await execa('sh', ['-c', 'command -v mksquashfs'])).stdout.trim();
const shimDir = join(work, 'shim');
const timeLog = join(work, 'mksquashfs-times.log');
await mkdir(shimDir);
await writeFile(
  join(shimDir, 'mksquashfs'),
  `#!/bin/sh\nexec /usr/bin/time -a -o ${JSON.stringify(timeLog)} -f '%e %U %S %M' ${realMksquashfs} "$@"\n`,
);
await chmod(join(shimDir, 'mksquashfs'), 0o755);
process.env.PATH = `${shimDir}:${process.env.PATH}`;
const lastShimTiming = async () => {
  const [wall, user, sys, rss] = (await readFile(timeLog, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
  return { wallMs: wall * 1000, cpuMs: (user + sys) * 1000, rssKiB: rss };
};

// Raw mksquashfs gets exactly the arguments the wrapper passed (captured from its first run).
let wrapperArgs;
const rawArgs = (output) => [tree, output, ...wrapperArgs.slice(2)];

async function timeRaw(output) {
  const start = performance.now();
  await execa('/usr/bin/time', ['-a', '-o', timeLog, '-f', '%e %U %S %M', realMksquashfs, ...rawArgs(output)], {
    env: { SOURCE_DATE_EPOCH: String(epoch) },
    stdout: 'ignore',
  });
  return { ms: performance.now() - start, ...(await lastShimTiming()) };
}

async function timeWrapper(output, presetName) {
  const start = performance.now();
  let events = 0;
  const result = await createSquashfs({
    source: tree,
    output,
    preset: presetName,
    sourceDateEpoch: epoch,
    onProgress: () => events++,
  });
  wrapperArgs ??= result.args;
  const ms = performance.now() - start;
  return { ms, events, ...(await lastShimTiming()) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sha = async (f) => (await execa('sha256sum', [f])).stdout.split(' ')[0];

// 1. Overhead, dev preset (fast, so per-call overhead is most visible), alternating order, after
// one warm-up of each so both read from the page cache.
const raw = [];
const ours = [];
const rawOut = join(work, 'raw.sqfs');
const oursOut = join(work, 'ours.sqfs');
let events = 0;
await timeWrapper(oursOut, 'dev');
await timeRaw(rawOut);
for (let i = 0; i < runs; i++) {
  const first = i % 2 === 0;
  if (first) raw.push(await timeRaw(rawOut));
  const w = await timeWrapper(oursOut, 'dev');
  ours.push(w);
  events = w.events;
  if (!first) raw.push(await timeRaw(rawOut));
}
const same = (await sha(rawOut)) === (await sha(oursOut));
const s = (ms) => (ms / 1000).toFixed(2);
const own = ours.map((w) => w.ms - w.wallMs);
const list = (xs) => `[${xs.map(s).join(', ')}]`;
console.log(`\noverhead (dev preset: zstd 1, 1 MiB blocks)`);
console.log(
  `  raw mksquashfs       wall median ${s(median(raw.map((r) => r.ms)))} s ${list(raw.map((r) => r.ms))}, CPU median ${s(median(raw.map((r) => r.cpuMs)))} s`,
);
console.log(
  `  squashfs-wrap        wall median ${s(median(ours.map((w) => w.ms)))} s ${list(ours.map((w) => w.ms))}, CPU of its mksquashfs median ${s(median(ours.map((w) => w.cpuMs)))} s  (${events} progress events)`,
);
console.log(
  `  wrapper's own time (wall outside mksquashfs): median ${median(own).toFixed(0)} ms [${own.map((x) => x.toFixed(0)).join(', ')}]`,
);
console.log(
  `  overhead ratio (raw + wrapper's own) / raw: ${((median(raw.map((r) => r.ms)) + median(own)) / median(raw.map((r) => r.ms))).toFixed(3)} (target <= 1.02)`,
);
console.log(
  `  end-to-end ratio of wall medians ${(median(ours.map((w) => w.ms)) / median(raw.map((r) => r.ms))).toFixed(3)}, CPU medians ${(median(ours.map((w) => w.cpuMs)) / median(raw.map((r) => r.cpuMs))).toFixed(3)}; images byte-identical: ${same}`,
);
const { stdout: load } = await execa('cat', ['/proc/loadavg']);
console.log(
  `  load average during the run: ${load.split(' ').slice(0, 3).join(' ')} on ${(await execa('nproc')).stdout} CPUs`,
);

console.log(
  `  peak RSS: raw mksquashfs ${(median(raw.map((r) => r.rssKiB)) / 1024).toFixed(0)} MiB; wrapper: its mksquashfs ${(median(ours.map((w) => w.rssKiB)) / 1024).toFixed(0)} MiB + node ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
);

// 2. dev vs release preset (one run each).
console.log(`\npresets`);
for (const name of ['dev', 'release']) {
  const output = join(work, `${name}.sqfs`);
  const { ms } = await timeWrapper(output, name);
  const { size } = await stat(output);
  const p = presets[name];
  console.log(
    `  ${name.padEnd(7)} ${p.compression.algorithm}:${p.compression.level} b=${p.blockSize}  ${(ms / 1000).toFixed(2)} s  ${(size / 1e6).toFixed(1)} MB  (${((size / treeBytes) * 100).toFixed(1)}% of tree)`,
  );
}
await rm(work, { recursive: true, force: true });
