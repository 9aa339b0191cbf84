#!/usr/bin/env node
// Benchmark: @distroforge/disk-assemble's assembleDisk (GPT disk: BIOS boot + ESP + ext4 root made
// from a tree, owners/times normalised, hashed) against a plain `mkfs.ext4 -d` of the same tree at
// the same size (the floor: no disk, no owners, no hash), same run, alternating order after a
// warm-up (the tree is read from the page cache). Each side runs in its own process under GNU time
// for wall time, CPU time and peak RSS. Our worker also reports assembleDisk's sha256 and the root
// size, which the mkfs.ext4 run reuses.
// Needs a build (`npx nx run @distroforge/disk-assemble:build`): imports the package's dist/.
// --baseline MODULE also times another build of the package (e.g. an esbuild bundle of an older
// commit's src/index.ts) in the same alternation, for before/after figures from one run, and checks
// that both give the same image hash unless the baseline differs in format (it prints both).
// --manifest FILE applies a manifest (e.g. the overlay stage's manifest.json of a profile build).
// --owner root|disk as assembleDisk's root.owner (default root: every inode reset to 0:0).
// Usage: node tools/bench/disk-assemble-ext4.mjs [--tree DIR] [--manifest FILE] [--owner root|disk] [--free BYTES] [--runs N] [--baseline MODULE]
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const MiB = 1024 * 1024;

if (process.argv[2] === '--worker') {
  const [, , , tree, output, manifest, owner, free, module] = process.argv;
  const { assembleDisk } = await import(module === '-' ? '@distroforge/disk-assemble' : module);
  const work = join(output, '..');
  await writeFile(join(work, 'vmlinuz'), Buffer.alloc(4 * MiB, 1));
  await writeFile(join(work, 'initrd.img'), Buffer.alloc(8 * MiB, 2));
  const disk = await assembleDisk({
    output,
    root: { directory: tree, ...(manifest === '-' ? {} : { manifest }), owner, freeSpace: Number(free) },
    kernel: join(work, 'vmlinuz'),
    initrd: join(work, 'initrd.img'),
    // The generated /etc/fstab needs an /etc in the tree (a system tree has one; /usr/share has not).
    fstab: existsSync(join(tree, 'etc')),
    seed: 'bench',
    sourceDateEpoch: 1_700_000_000,
  });
  console.log(JSON.stringify({ sha256: disk.sha256, rootSize: disk.root.size, diskSize: disk.diskSize }));
  process.exit(0);
}

const tree = arg('--tree', '/usr/share');
const manifest = arg('--manifest', '-');
const owner = arg('--owner', 'root');
const free = arg('--free', String(512 * MiB));
const runs = Number(arg('--runs', '3'));
const baseline = arg('--baseline', undefined);
const work = await mkdtemp(join(tmpdir(), 'disk-assemble-bench-'));
const self = fileURLToPath(import.meta.url);
// The mke2fs.conf disk-assemble uses, so the reference makes the same filesystem.
const mke2fsConf = `[defaults]
\tbase_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
\tdefault_mntopts = acl,user_xattr
\tenable_periodic_fsck = 0
\tblocksize = 4096
\tinode_size = 256
\tinode_ratio = 16384

[fs_types]
\text4 = {
\t\tfeatures = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
\t}
`;

async function timed(argv, options = {}) {
  const log = join(work, 'time.log');
  const run = await execa('/usr/bin/time', ['-o', log, '-f', '%e %U %S %M', ...argv], options);
  const [wall, user, sys, rss] = (await readFile(log, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
  return { s: wall, cpu: user + sys, rssMiB: rss / 1024, stdout: run.stdout };
}

async function ours(module = '-') {
  const out = join(work, 'disk.img');
  const result = await timed([process.execPath, self, '--worker', tree, out, manifest, owner, free, module]);
  await rm(out, { force: true });
  return { ...result, ...JSON.parse(result.stdout.trim().split('\n').at(-1)) };
}

async function mkfs(size) {
  const out = join(work, 'plain.ext4');
  await rm(out, { force: true });
  const env = { MKE2FS_CONFIG: join(work, 'mke2fs.conf'), E2FSPROGS_FAKE_TIME: '1700000000' };
  const result = await timed(
    [
      'mkfs.ext4',
      '-q',
      '-F',
      '-t',
      'ext4',
      '-d',
      tree,
      '-E',
      'lazy_itable_init=0,lazy_journal_init=0,nodiscard',
      out,
      `${size / 1024}k`,
    ],
    { env },
  );
  await rm(out, { force: true });
  return result;
}

try {
  await writeFile(join(work, 'mke2fs.conf'), mke2fsConf);
  const { stdout } = await execa('sh', ['-c', `du -sb '${tree}' | cut -f1; find '${tree}' -xdev | wc -l`]);
  const [bytes, entries] = stdout.split('\n').map(Number);
  console.log(
    `tree ${tree}: ${(bytes / MiB).toFixed(0)} MiB, ${entries} entries; owner ${owner}; manifest ${manifest === '-' ? 'none' : manifest}`,
  );
  const warm = await ours();
  console.log(
    `root ${(warm.rootSize / MiB).toFixed(0)} MiB, disk ${(warm.diskSize / MiB).toFixed(0)} MiB, sha256 ${warm.sha256.slice(0, 16)}`,
  );
  const rows = { ours: [], mkfs: [], ...(baseline ? { baseline: [] } : {}) };
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? ['ours', 'mkfs', 'baseline'] : ['baseline', 'mkfs', 'ours'];
    for (const side of order) {
      if (side === 'ours') rows.ours.push(await ours());
      else if (side === 'mkfs') rows.mkfs.push(await mkfs(warm.rootSize));
      else if (baseline) rows.baseline.push(await ours(baseline));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const line = (name, xs) =>
    console.log(
      `${name.padEnd(30)} wall ${median(xs.map((x) => x.s))
        .toFixed(2)
        .padStart(6)} s   cpu ${median(xs.map((x) => x.cpu))
        .toFixed(2)
        .padStart(6)} s   peak RSS ${median(xs.map((x) => x.rssMiB))
        .toFixed(0)
        .padStart(4)} MiB`,
    );
  console.log(`\nmedian of ${runs} rounds (load average ${(await readFile('/proc/loadavg', 'utf8')).split(' ')[0]}):`);
  line('assembleDisk (whole disk)', rows.ours);
  line('mkfs.ext4 -d (root only)', rows.mkfs);
  if (baseline) line('baseline assembleDisk', rows.baseline);
  const ratio = (a, b) => median(rows[a].map((x, i) => x.s / rows[b][i].s));
  console.log(`\nassembleDisk / mkfs.ext4 -d: ${ratio('ours', 'mkfs').toFixed(2)}x wall`);
  if (baseline) {
    console.log(`assembleDisk / baseline:     ${ratio('ours', 'baseline').toFixed(2)}x wall`);
    const same = rows.baseline.every((x) => x.sha256 === warm.sha256);
    // A baseline that ran debugfs once per inode differs in the superblock's s_kbytes_written only.
    console.log(
      `image sha256 ${same ? 'equals' : 'differs from'} the baseline's (${rows.baseline[0].sha256.slice(0, 16)})`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
