#!/usr/bin/env node
// Benchmark: the compression of the live initramfs. Builds the live initramfs of Debian's kernel
// (tools/fetch-kernel; the same data as the `initramfs` stage: busybox, the live init and the
// closure of LIVE_MODULES, ~26 MB of cpio) with buildLiveInitramfs once per compression, and boots
// each in QEMU (TCG, direct kernel boot, like packages/initramfs-cpio's boot tests) until the live
// init's first line after loading its modules. Prints, per compression: size, build time (the
// whole buildLiveInitramfs call, as in the stage), boot time (QEMU start to that line) and the
// kernel's own unpack time (printk timestamps of "Trying to unpack rootfs image" and "Freeing
// initrd memory"), with ratios against gzip -9 (the old default) measured in the same run. Rounds
// alternate the compressions so that a change of load on the machine hits them all alike; medians.
// Needs a build (`npx nx run @distroforge/initramfs-cpio:build`): imports the package's dist/.
// Usage: node tools/bench/initramfs-compression.mjs [--runs N] [--boot-runs N] [--no-boot]
//        [--only gzip-9,zstd-3,...]
import { buildLiveInitramfs, chooseInitramfsCompression } from '@distroforge/initramfs-cpio';
import { execa } from 'execa';
import { readFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const runs = Number(arg('--runs', '3'));
const bootRuns = Number(arg('--boot-runs', String(runs)));
const boot = !process.argv.includes('--no-boot');
const only = arg('--only', undefined)?.split(',');

const repo = resolve(import.meta.dirname, '../..');
const kernelRoot =
  process.env.DISTROFORGE_KERNEL_DIR ??
  (await execa(join(repo, 'tools/fetch-kernel'), { timeout: 600_000 })).stdout.trim();
const version = (await readFile(join(kernelRoot, '.version'), 'utf8')).trim();
const vmlinuz = join(kernelRoot, 'boot', `vmlinuz-${version}`);
const modulesDir = join(kernelRoot, 'lib/modules', version);
const chosen = await chooseInitramfsCompression({ root: kernelRoot, version });

const variants = [
  { name: 'gzip -9', compress: 'gzip', level: 9, note: 'old default' },
  { name: 'gzip -6', compress: 'gzip', level: 6 },
  ...[1, 3, 6, 9, 19].map((level) => ({ name: `zstd -${level}`, compress: 'zstd', level })),
  { name: 'xz -6', compress: 'xz', level: 6 },
  { name: 'none', compress: 'none', level: undefined },
]
  .map((v) => ({
    ...v,
    note: v.compress === chosen.compress && v.level === chosen.level ? 'chosen' : v.note,
    build: [],
    boot: [],
    unpack: [],
  }))
  .filter((v) => !only || only.includes(v.name.replace(' -', '-')));
const reference = variants.find((v) => v.name === 'gzip -9');

const work = await mkdtemp(join(tmpdir(), 'initramfs-compression-bench-'));
const file = (v) => join(work, `${v.name.replace(/\W+/g, '_')}.img`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

console.log(
  `kernel ${version} (${chosen.config ? `config ${chosen.config}` : 'no config'}: chooseInitramfsCompression -> ${chosen.compress} -${chosen.level})`,
);
console.log(
  `${runs} build rounds, ${boot ? `${bootRuns} boot rounds (TCG, -smp 1, 512 MiB)` : 'no boots'}; load average before: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

let cpioBytes = 0;
for (let round = 0; round < runs; round++) {
  for (const v of round % 2 ? [...variants].reverse() : variants) {
    const start = performance.now();
    const result = await buildLiveInitramfs({
      modulesDir,
      output: file(v),
      compress: v.compress,
      ...(v.level === undefined ? {} : { level: v.level }),
      live: { label: 'DF-BENCH' },
      sourceDateEpoch: 1_700_000_000,
    });
    v.build.push(performance.now() - start);
    v.bytes = result.bytes;
    if (v.compress === 'none') cpioBytes = result.bytes;
  }
}

/** QEMU start to the live init's first line after modprobe; the kernel's unpack time from printk. */
async function bootOnce(initrd) {
  const start = performance.now();
  const qemu = execa(
    'qemu-system-x86_64',
    [
      '-machine',
      'q35',
      '-accel',
      'tcg',
      '-m',
      '512',
      '-smp',
      '1',
      '-nographic',
      '-no-reboot',
      '-nodefaults',
      '-serial',
      'stdio',
      '-kernel',
      vmlinuz,
      '-initrd',
      initrd,
      '-append',
      'console=ttyS0 panic=-1 loglevel=7 live.label=DF-BENCH live.timeout=1',
    ],
    { reject: false, stdin: 'ignore', timeout: 300_000, forceKillAfterDelay: 2_000, buffer: false },
  );
  let text = '';
  let ms;
  try {
    for await (const line of qemu.iterable({ from: 'stdout' })) {
      text += `${String(line)}\n`;
      // Searched in the whole text: with loglevel=7 a kernel message can land on the same line.
      if (/live: waiting up to/.test(text)) {
        ms = performance.now() - start;
        break;
      }
    }
  } finally {
    if (qemu.exitCode === null) qemu.kill('SIGKILL');
    await qemu;
  }
  if (ms === undefined) throw new Error(`${initrd}: the live init did not start; console:\n${text.slice(-3000)}`);
  const at = (re) => Number(re.exec(text)?.[1]);
  const unpackMs =
    (at(/\[\s*([\d.]+)\] Freeing initrd memory/) - at(/\[\s*([\d.]+)\] Trying to unpack rootfs image as initramfs/)) *
    1000;
  return { ms, unpackMs };
}

if (boot) {
  for (let round = 0; round < bootRuns; round++) {
    for (const v of round % 2 ? [...variants].reverse() : variants) {
      const { ms, unpackMs } = await bootOnce(file(v));
      v.boot.push(ms);
      v.unpack.push(unpackMs);
    }
  }
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(
  `live initramfs: ${(cpioBytes / 1e6).toFixed(1)} MB of cpio; load average after: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  `${'compression'.padEnd(10)} ${'size'.padStart(9)} ${'build'.padStart(8)} ${boot ? `${'boot'.padStart(8)} ${'unpack'.padStart(8)} ${'build+boot'.padStart(10)}` : ''}  (medians)`,
);
for (const v of variants) {
  const build = median(v.build);
  const cols = [v.name.padEnd(10), `${(v.bytes / 1e6).toFixed(2)} MB`.padStart(9), s(build).padStart(8)];
  if (boot)
    cols.push(s(median(v.boot)).padStart(8), s(median(v.unpack)).padStart(8), s(build + median(v.boot)).padStart(10));
  console.log(`${cols.join(' ')}${v.note ? `  ${v.note}` : ''}`);
}
if (reference) {
  for (const v of variants.filter((x) => x !== reference)) {
    const parts = [
      `size ${(v.bytes / reference.bytes).toFixed(2)}x`,
      `build ${(median(v.build) / median(reference.build)).toFixed(2)}x`,
    ];
    if (boot) {
      parts.push(
        `boot ${(median(v.boot) / median(reference.boot)).toFixed(2)}x`,
        `unpack ${(median(v.unpack) / median(reference.unpack)).toFixed(2)}x`,
      );
      parts.push(
        `build+boot ${((median(v.build) + median(v.boot)) / (median(reference.build) + median(reference.boot))).toFixed(2)}x`,
      );
    }
    console.log(`ratio ${v.name}/gzip -9: ${parts.join(', ')}`);
  }
}
await rm(work, { recursive: true, force: true });
