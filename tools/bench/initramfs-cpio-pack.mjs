#!/usr/bin/env node
// Benchmark: @distroforge/initramfs-cpio's packCpio vs GNU `cpio -o -H newc --reproducible` on the
// same large tree, same run, alternating order after a warm-up (both read from the page cache).
// Each side runs in its own process under GNU time for wall time and peak RSS. GNU cpio is given
// the sorted file list ready-made (its time excludes find+sort); ours walks and sorts the tree itself.
// Also checks that both archives are byte-identical, and runs ours on a second tree several times
// larger in bytes to show that memory follows the number of files, not the archive size.
// Needs a build (`npx nx run @distroforge/initramfs-cpio:build`): imports the package's dist/.
// Usage: node tools/bench/initramfs-cpio-pack.mjs [--tree DIR] [--big DIR] [--runs N]
import { execa } from 'execa';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);

if (process.argv[2] === '--worker') {
  const { packCpio } = await import('@distroforge/initramfs-cpio');
  await packCpio({ input: { directory: process.argv[3] }, output: process.argv[4], sourceDateEpoch: null });
  process.exit(0);
}

const tree = arg('--tree', '/usr/share');
const big = arg('--big', '/usr/lib');
const runs = Number(arg('--runs', '3'));
const work = await mkdtemp(join(tmpdir(), 'initramfs-cpio-bench-'));
const self = fileURLToPath(import.meta.url);

async function timed(argv, options = {}) {
  const log = join(work, 'time.log');
  await execa('/usr/bin/time', ['-o', log, '-f', '%e %M', ...argv], { stdout: 'ignore', ...options });
  const [wall, rss] = (await execa('cat', [log])).stdout.trim().split('\n').at(-1).split(' ').map(Number);
  return { s: wall, rssMiB: rss / 1024 };
}

async function fileList(root) {
  const { stdout } = await execa('sh', ['-c', "find . -mindepth 1 -printf '%P\\n' | LC_ALL=C sort"], { cwd: root, maxBuffer: 1 << 30 });
  const list = join(work, 'list.txt');
  await writeFile(list, `.\n${stdout}\n`);
  return { list, files: stdout.split('\n').length + 1 };
}

const ours = (root, out) => timed([process.execPath, self, '--worker', root, out]);
const gnu = (root, list, out) => timed(['sh', '-c', `cpio -o -H newc --reproducible --quiet < '${list}' > '${out}'`], { cwd: root });
// The whole job as a shell user runs it: list, sort and archive (what packCpio does on its own).
const gnuPipeline = (root, out) =>
  timed(['sh', '-c', `(echo .; find . -mindepth 1 -printf '%P\\n' | LC_ALL=C sort) | cpio -o -H newc --reproducible --quiet > '${out}'`], { cwd: root });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const { list, files } = await fileList(tree);
  const oursOut = join(work, 'ours.cpio');
  const gnuOut = join(work, 'gnu.cpio');
  await ours(tree, oursOut);
  await gnu(tree, list, gnuOut);
  const size = (await stat(oursOut)).size;
  const identical = (await execa('cmp', ['-s', oursOut, gnuOut], { reject: false })).exitCode === 0;
  console.log(`tree ${tree}: ${files} entries, archive ${(size / 1e6).toFixed(0)} MB; byte-identical to GNU cpio: ${identical}`);
  const a = [];
  const b = [];
  const c = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) b.push(await gnu(tree, list, gnuOut));
    a.push(await ours(tree, oursOut));
    if (i % 2 === 1) b.push(await gnu(tree, list, gnuOut));
    c.push(await gnuPipeline(tree, gnuOut));
  }
  const row = (name, xs) => `${name.padEnd(30)} time ${median(xs.map((x) => x.s)).toFixed(2)} s   peak RSS ${median(xs.map((x) => x.rssMiB)).toFixed(0)} MiB`;
  console.log(row('GNU cpio 2.13 --reproducible', b));
  console.log(row('find | sort | GNU cpio', c));
  console.log(row('initramfs-cpio packCpio', a));
  const timeRatio = median(a.map((x) => x.s)) / median(b.map((x) => x.s));
  const rssRatio = median(a.map((x) => x.rssMiB)) / median(b.map((x) => x.rssMiB));
  console.log(`ratio ours/GNU cpio: time ${timeRatio.toFixed(2)}x, peak RSS ${rssRatio.toFixed(1)}x (median of ${runs})`);
  console.log(`ratio ours/find|sort|cpio: time ${(median(a.map((x) => x.s)) / median(c.map((x) => x.s))).toFixed(2)}x`);

  await rm(gnuOut, { force: true });
  const bigList = await fileList(big);
  const bigRun = await ours(big, oursOut);
  const bigSize = (await stat(oursOut)).size;
  const small = median(a.map((x) => x.rssMiB));
  console.log(
    `memory vs size: ${tree} ${(size / 1e6).toFixed(0)} MB / ${files} entries -> ${small.toFixed(0)} MiB; ` +
      `${big} ${(bigSize / 1e6).toFixed(0)} MB / ${bigList.files} entries -> ${bigRun.rssMiB.toFixed(0)} MiB ` +
      `(${(bigSize / size).toFixed(1)}x the bytes, ${(bigList.files / files).toFixed(1)}x the entries, ${(bigRun.rssMiB / small).toFixed(2)}x the memory; ${bigRun.s.toFixed(1)} s)`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
