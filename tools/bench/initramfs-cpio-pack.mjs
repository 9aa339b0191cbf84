#!/usr/bin/env node
// Benchmark: @distroforge/initramfs-cpio's packCpio vs GNU `cpio -o -H newc --reproducible` on the
// same large tree, same run, alternating order after a warm-up (both read from the page cache).
// Each side runs in its own process under GNU time for wall time and peak RSS. GNU cpio is given
// the sorted file list ready-made (its time excludes find+sort); ours walks and sorts the tree itself.
// Also checks that both archives are byte-identical, and measures our peak RSS on a tiny generated
// tree, the main tree and a tree several times larger (default /usr/lib) to show that memory does
// not grow with the archive. (The walk streams; only a hard-linked file with links outside the
// tree makes it hold the entries after it until the end, so the bench counts such files.)
// Needs a build (`npx nx run @distroforge/initramfs-cpio:build`): imports the package's dist/.
// --baseline MODULE also times another build of the package (e.g. an esbuild bundle of an older
// commit's src/index.ts) in the same alternation, for before/after figures from one run.
// --module MODULE times that build instead of the package's dist/ (e.g. one bundled the same way).
// --big takes a comma-separated list of trees, each packed once for the memory table.
// Usage: node tools/bench/initramfs-cpio-pack.mjs [--tree DIR] [--big DIR[,DIR...]] [--runs N] [--baseline MODULE] [--module MODULE]
import { execa } from 'execa';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);

if (process.argv[2] === '--worker') {
  const { packCpio } = await import(process.argv[5] ?? '@distroforge/initramfs-cpio');
  await packCpio({ input: { directory: process.argv[3] }, output: process.argv[4], sourceDateEpoch: null });
  process.exit(0);
}

const tree = arg('--tree', '/usr/share');
const big = arg('--big', '/usr/lib');
const runs = Number(arg('--runs', '3'));
const baseline = arg('--baseline', undefined);
const work = await mkdtemp(join(tmpdir(), 'initramfs-cpio-bench-'));
const self = fileURLToPath(import.meta.url);

async function timed(argv, options = {}) {
  const log = join(work, 'time.log');
  await execa('/usr/bin/time', ['-o', log, '-f', '%e %M', ...argv], { stdout: 'ignore', ...options });
  const [wall, rss] = (await execa('cat', [log])).stdout.trim().split('\n').at(-1).split(' ').map(Number);
  return { s: wall, rssMiB: rss / 1024 };
}

async function fileList(root) {
  const { stdout } = await execa('sh', ['-c', "find . -mindepth 1 -printf '%P\\n' | LC_ALL=C sort"], {
    cwd: root,
    maxBuffer: 1 << 30,
  });
  const list = join(work, 'list.txt');
  await writeFile(list, `.\n${stdout}\n`);
  return { list, files: stdout.split('\n').length + 1 };
}

const module = arg('--module', undefined);
const ours = (root, out, build = module) =>
  timed([process.execPath, self, '--worker', root, out, ...(build ? [build] : [])]);
const gnu = (root, list, out) =>
  timed(['sh', '-c', `cpio -o -H newc --reproducible --quiet < '${list}' > '${out}'`], { cwd: root });
// The whole job as a shell user runs it: list, sort and archive (what packCpio does on its own).
const gnuPipeline = (root, out) =>
  timed(
    [
      'sh',
      '-c',
      `(echo .; find . -mindepth 1 -printf '%P\\n' | LC_ALL=C sort) | cpio -o -H newc --reproducible --quiet > '${out}'`,
    ],
    { cwd: root },
  );
/** Hard-link groups with fewer names inside `root` than their link count. */
async function linksLeavingTree(root) {
  const { stdout } = await execa('find', [root, '-xdev', '-type', 'f', '-links', '+1', '-printf', '%D:%i %n\\n'], {
    maxBuffer: 1 << 30,
    reject: false,
  });
  const seen = new Map();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [key, links] = line.split(' ');
    const group = seen.get(key) ?? { names: 0, links: Number(links) };
    group.names++;
    seen.set(key, group);
  }
  return [...seen.values()].filter((g) => g.names < g.links).length;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const { list, files } = await fileList(tree);
  const oursOut = join(work, 'ours.cpio');
  const gnuOut = join(work, 'gnu.cpio');
  await ours(tree, oursOut);
  await gnu(tree, list, gnuOut);
  const size = (await stat(oursOut)).size;
  const identical = (await execa('cmp', ['-s', oursOut, gnuOut], { reject: false })).exitCode === 0;
  console.log(
    `tree ${tree}: ${files} entries, archive ${(size / 1e6).toFixed(0)} MB; byte-identical to GNU cpio: ${identical}`,
  );
  const a = [];
  const b = [];
  const c = [];
  const before = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) b.push(await gnu(tree, list, gnuOut));
    a.push(await ours(tree, oursOut));
    if (baseline) before.push(await ours(tree, oursOut, baseline));
    if (i % 2 === 1) b.push(await gnu(tree, list, gnuOut));
    c.push(await gnuPipeline(tree, gnuOut));
  }
  const row = (name, xs) =>
    `${name.padEnd(30)} time ${median(xs.map((x) => x.s)).toFixed(2)} s   peak RSS ${median(xs.map((x) => x.rssMiB)).toFixed(0)} MiB`;
  console.log(row('GNU cpio 2.13 --reproducible', b));
  console.log(row('find | sort | GNU cpio', c));
  if (baseline) console.log(row('packCpio, baseline build', before));
  console.log(row('initramfs-cpio packCpio', a));
  const timeRatio = median(a.map((x) => x.s)) / median(b.map((x) => x.s));
  const rssRatio = median(a.map((x) => x.rssMiB)) / median(b.map((x) => x.rssMiB));
  console.log(
    `ratio ours/GNU cpio: time ${timeRatio.toFixed(2)}x, peak RSS ${rssRatio.toFixed(1)}x (median of ${runs})`,
  );
  console.log(`ratio ours/find|sort|cpio: time ${(median(a.map((x) => x.s)) / median(c.map((x) => x.s))).toFixed(2)}x`);
  if (baseline) {
    const ratio = (xs, key) => median(xs.map((x) => x[key])) / median(b.map((x) => x[key]));
    console.log(
      `ratio baseline/GNU cpio: time ${ratio(before, 's').toFixed(2)}x, peak RSS ${ratio(before, 'rssMiB').toFixed(1)}x`,
    );
  }

  await rm(gnuOut, { force: true });
  // Memory against archive size: a tiny tree (200 files, 1 MB), the main tree, a big one.
  const tiny = join(work, 'tiny');
  await mkdir(tiny);
  for (let i = 0; i < 200; i++) await writeFile(join(tiny, `file-${i}`), Buffer.alloc(5000, i));
  const measure = async (label, root, times) => {
    const measured = [];
    for (let i = 0; i < times; i++) measured.push(await ours(root, oursOut));
    return { label, root, entries: (await fileList(root)).files, mb: (await stat(oursOut)).size / 1e6, measured };
  };
  const rows = [
    await measure('tiny', tiny, runs),
    { label: 'main', root: tree, entries: files, mb: size / 1e6, measured: a },
  ];
  for (const root of big.split(',')) rows.push(await measure('big', root, 1));
  for (const r of rows) {
    r.rss = median(r.measured.map((x) => x.rssMiB));
    r.s = median(r.measured.map((x) => x.s));
    r.outside = await linksLeavingTree(r.root);
  }
  console.log('peak RSS of ours against archive size:');
  for (const r of rows) {
    console.log(
      `  ${r.label.padEnd(5)} ${r.root.padEnd(32)} ${String(Math.round(r.mb)).padStart(6)} MB ${String(r.entries).padStart(7)} entries -> ${r.rss.toFixed(0).padStart(4)} MiB` +
        ` (${r.s.toFixed(1)} s${r.outside ? `; ${r.outside} hard-linked files with links outside the tree` : ''})`,
    );
  }
  const [t, m] = rows;
  for (const g of rows.slice(1)) {
    console.log(
      `memory ${g.root}: ${(g.rss / t.rss).toFixed(2)}x tiny's for ${(g.mb / t.mb).toFixed(0)}x the bytes; ${(g.rss / m.rss).toFixed(2)}x main's for ${(g.mb / m.mb).toFixed(1)}x the bytes`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
