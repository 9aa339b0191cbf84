#!/usr/bin/env node
// Issue 27: the development and release presets of the root image, on the profile `distroforge init`
// writes (debian-live template: no image: section, so the build mode picks the squashfs level).
// 1. Two real builds in one state: the default (development) build, cold, then `build --release`,
//    which re-runs only the image, layer and ISO stages; their stage times and the ISO sizes.
// 2. The image stage's work alone (squashfs-wrap on the bootstrapped root and its manifest, as the
//    stage calls it), alternating the presets each round so load changes hit both alike; medians.
// Ratios are against the release preset (zstd 15, mksquashfs's own zstd default: what such profiles
// built before the presets existed), measured in the same run.
// Needs a build (`npx nx run @distroforge/cli:build`) and network or a warm package cache.
// Usage: node tools/bench/image-presets.mjs [--runs N]
import { createSquashfs, presets } from '@distroforge/squashfs-wrap';
import { readManifest } from '@distroforge/core';
import { execa } from 'execa';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const repo = resolve(import.meta.dirname, '..', '..');
const cli = join(repo, 'packages', 'cli', 'dist', 'bin', 'cli.js');
const work = await mkdtemp(join(tmpdir(), 'df-bench-presets-'));
const profile = join(work, 'my-distro');
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function build(label, args) {
  // Untimed: the previous build's deferred writeback must not slow down this one.
  await execa('sync');
  const started = performance.now();
  const run = await execa('node', [cli, 'build', profile, '--json', ...args], { reject: false });
  const ms = performance.now() - started;
  if (run.exitCode !== 0) throw new Error(`${label} failed:\n${run.stderr}`);
  const report = JSON.parse(String(run.stdout).trim().split('\n').at(-1));
  const stage = (name) => report.stages.find((x) => x.name === name);
  const iso = report.outputs.find((o) => o.kind === 'iso');
  const ran = report.stages
    .filter((x) => !x.cached)
    .map((x) => `${x.name} ${s(x.ms)}`)
    .join(', ');
  console.log(`${label.padEnd(26)} ${s(ms).padStart(8)}  ISO ${mib(iso.bytes)}  ran: ${ran}`);
  return { ms, report, stage, iso };
}

try {
  await execa('node', [cli, 'init', profile]);
  console.log(
    `profile: distroforge init (debian-live template, no image: section); ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}\n`,
  );
  const dev = await build('build (development, cold)', []);
  const release = await build('build --release', ['--release']);

  // The image stage's input: the bootstrapped root and its manifest (layered live root).
  const rootfs = join(profile, '.distroforge', 'stages', 'rootfs', dev.stage('rootfs').key);
  const manifest = await readManifest(join(rootfs, 'manifest.json'));
  const { stdout: du } = await execa('du', ['-sb', join(rootfs, 'rootfs')]);
  console.log(
    `\nimage stage alone: squashfs of the root (${mib(Number(du.split('\t')[0]))}), ${runs} alternating rounds, medians`,
  );
  const times = { dev: [], release: [] };
  const cpu = { dev: [], release: [] };
  const sizes = {};
  for (let round = 0; round < runs; round++) {
    for (const mode of round % 2 === 0 ? ['release', 'dev'] : ['dev', 'release']) {
      const output = join(work, `${mode}.squashfs`);
      const before = process.cpuUsage();
      const started = performance.now();
      const result = await createSquashfs({
        source: join(rootfs, 'rootfs'),
        output,
        manifest,
        compression: presets[mode].compression,
        blockSize: presets[mode].blockSize,
        owner: 'disk',
        unsupportedCaps: 'drop',
        sourceDateEpoch: 1_700_000_000,
      });
      times[mode].push(performance.now() - started);
      cpu[mode].push(process.cpuUsage(before));
      sizes[mode] = result.size ?? (await stat(output)).size;
      await rm(output);
    }
  }
  for (const mode of ['release', 'dev']) {
    const level = presets[mode].compression.level;
    console.log(
      `  ${mode.padEnd(8)} zstd ${String(level).padEnd(3)} ${s(median(times[mode])).padStart(7)}  ${mib(sizes[mode]).padStart(10)}${mode === 'release' ? '  (reference)' : ''}`,
    );
  }
  const timeRatio = median(times.dev) / median(times.release);
  const sizeRatio = sizes.dev / sizes.release;
  console.log(
    `\ndevelopment / release: image stage time ${timeRatio.toFixed(2)}x (alone), ${(dev.stage('image').ms / release.stage('image').ms).toFixed(2)}x (in the builds); root image size ${sizeRatio.toFixed(2)}x, ISO size ${(dev.iso.bytes / release.iso.bytes).toFixed(2)}x`,
  );
  console.log(`release build after the development one (image, layer, ISO again): ${s(release.ms)}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
