import { gzipSync } from 'node:zlib';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDistroforgeError } from '@distroforge/core';
import { compressStream, extractCpio, listCpio, writeCpio } from '@distroforge/initramfs-cpio';
import { collect, tempDir } from './helpers.js';
import { rawArchive } from './newc-archive.js';
import { SeededRandom } from './seeded-random.js';
import { sentinelWorkDir } from './sentinel.js';

// Seeded mutations of valid archives made here. Every case is listed and extracted; the only
// acceptable failures are typed errors (code ERR_...), nothing may appear outside the target, a
// refused extraction leaves no target, and memory stays bounded. CPIO_FUZZ_SEED / CPIO_FUZZ_CASES
// explore further; a failure names the case's seed and mutations so it can be replayed.
const BASE_SEED = Number(process.env.CPIO_FUZZ_SEED ?? 0x5eed_c910);
const CASES = Number(process.env.CPIO_FUZZ_CASES ?? 3000);
const RSS_BOUND = 300 * 1024 * 1024;

let work: string;
beforeAll(async () => {
  work = await tempDir('icpio-fuzz-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Base {
  name: string;
  bytes: Buffer;
  /** Offsets of the newc headers (uncompressed bases only), for field mutations. */
  headers: number[];
}

const headerOffsets = (bytes: Buffer): number[] => {
  const out: number[] = [];
  for (let at = bytes.indexOf('070701'); at !== -1; at = bytes.indexOf('070701', at + 1)) out.push(at);
  return out;
};

async function bases(): Promise<Base[]> {
  const written = await collect(
    writeCpio(
      [
        { path: '.', type: 'dir', mode: 0o755 },
        { path: 'bin', type: 'dir', mode: 0o755 },
        { path: 'bin/busybox', type: 'file', mode: 0o4755, data: 'B'.repeat(600), links: ['bin/sh'] },
        { path: 'bin/ls', type: 'symlink', mode: 0o777, target: 'busybox' },
        { path: 'dev', type: 'dir', mode: 0o755 },
        { path: 'dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
        { path: 'dev/fifo', type: 'fifo', mode: 0o644 },
        { path: 'etc', type: 'dir', mode: 0o555 },
        { path: 'etc/empty', type: 'file', mode: 0o644, data: '' },
        { path: 'etc/hosts', type: 'file', mode: 0o644, data: '127.0.0.1 localhost\n' },
        { path: 'init', type: 'file', mode: 0o755, data: '#!/bin/sh\nexec /bin/sh\n' },
      ],
      { sourceDateEpoch: 1_700_000_000 },
    ),
  );
  // Members aimed at the host (targets are extracted at run/wN/target, the sentinel and the host
  // directory are in run/): relative links keep the bytes, and so every case, the same on each run.
  const hostile = rawArchive([
    { name: 'd', type: 'dir' },
    { name: 'd/f', type: 'file', data: 'in d' },
    { name: 'l', type: 'symlink', data: '../../sentinel' },
    { name: 'o', type: 'symlink', data: '../../outside' },
    { name: 'p', type: 'symlink', data: '..' },
    { name: 'a', type: 'file', ino: 50, nlink: 2, mode: 0o4777 },
    { name: 'b', type: 'file', ino: 50, nlink: 2, mode: 0o4777, data: 'pwned' },
    { name: 'o/x', type: 'file', data: 'pwned' },
  ]);
  const concatenated = Buffer.concat([written, hostile]);
  return [
    { name: 'writer', bytes: written, headers: headerOffsets(written) },
    { name: 'hostile', bytes: hostile, headers: headerOffsets(hostile) },
    { name: 'concatenated', bytes: concatenated, headers: headerOffsets(concatenated) },
    { name: 'gzip', bytes: gzipSync(concatenated), headers: [] },
    {
      name: 'zstd',
      bytes: await collect(
        compressStream(
          (async function* () {
            yield concatenated;
          })(),
          'zstd',
        ),
      ),
      headers: [],
    },
    {
      name: 'xz',
      bytes: await collect(
        compressStream(
          (async function* () {
            yield written;
          })(),
          'xz',
        ),
      ),
      headers: [],
    },
  ];
}

const FIELD_VALUES = [
  0, 1, 2, 3, 4, 0x7f, 0x100, 0x1000, 0x1001, 0xffff, 0x7fffffff, 0xffffffff, 0o40755, 0o120777, 0o100644, 0o20644,
];

/** Applies 1-3 random mutations; returns the bytes and a description for the failure message. */
function mutate(random: SeededRandom, base: Base, all: Base[]): { bytes: Buffer; steps: string[] } {
  let bytes = Buffer.from(base.bytes);
  const steps: string[] = [];
  const count = 1 + random.int(3);
  for (let i = 0; i < count; i++) {
    const at = random.int(bytes.length);
    switch (random.int(base.headers.length ? 7 : 5)) {
      case 0: {
        const bit = random.int(8);
        bytes[at] = (bytes[at] as number) ^ (1 << bit);
        steps.push(`flip bit ${bit} at ${at}`);
        break;
      }
      case 1: {
        const value = random.int(256);
        bytes[at] = value;
        steps.push(`byte ${value} at ${at}`);
        break;
      }
      case 2:
        bytes = bytes.subarray(0, at);
        steps.push(`truncate at ${at}`);
        break;
      case 3: {
        const donor = random.pick(all).bytes;
        const from = random.int(donor.length);
        const piece = donor.subarray(from, from + 1 + random.int(300));
        const replace = random.int(2) === 0 ? 0 : random.int(300);
        bytes = Buffer.concat([bytes.subarray(0, at), piece, bytes.subarray(at + replace)]);
        steps.push(`splice ${piece.length} bytes from offset ${from} at ${at} replacing ${replace}`);
        break;
      }
      case 4: {
        const length = 1 + random.int(200);
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + length)]);
        steps.push(`delete ${length} at ${at}`);
        break;
      }
      default: {
        // A header field (ino, mode, ..., filesize, ..., namesize, check) set to a boundary value or random hex.
        const header = random.pick(base.headers);
        const field = random.int(13);
        const value = random.int(2) === 0 ? random.pick(FIELD_VALUES) : random.int(0x100000000);
        if (header + 14 + field * 8 <= bytes.length)
          bytes.write(value.toString(16).padStart(8, '0'), header + 6 + field * 8, 'latin1');
        steps.push(`field ${field} of header at ${header} = 0x${value.toString(16)}`);
      }
    }
  }
  return { bytes, steps };
}

const typed = (error: unknown): boolean => isDistroforgeError(error) && /^ERR_/.test(error.code);

describe('fuzzing the reader and the extractor', () => {
  it(`${CASES} seeded mutations of valid archives (seed ${BASE_SEED}): only typed errors, nothing written outside the target, no partial output, RSS bounded`, async () => {
    // Four cases at a time (each extracting into its own directory): the run waits on the
    // filesystem far more than it computes. Each case depends only on its own seed.
    const workers = ['w0', 'w1', 'w2', 'w3'];
    const dir = await sentinelWorkDir(join(work, 'run'), workers);
    const all = await bases();
    const started = Date.now();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    const runCase = async (i: number, place: string) => {
      const seed = (BASE_SEED + i) >>> 0;
      const random = new SeededRandom(seed);
      // zstd and xz start a process per read: a small share of the cases.
      const base = random.int(60) === 0 ? random.pick(all.slice(4)) : random.pick(all.slice(0, 4));
      const { bytes, steps } = mutate(random, base, all);
      const replay = `case ${i}: seed ${seed} (CPIO_FUZZ_SEED=${BASE_SEED}), base ${base.name}, ${steps.join('; ')}`;
      const outcome = (what: string) => (error: unknown) => {
        if (!typed(error)) throw new Error(`${what} threw an untyped ${String(error)}`, { cause: error });
        return (error as { code: string }).code;
      };
      try {
        count(`list ${await listCpio(bytes).then(() => 'ok', outcome('listCpio'))}`);
        const target = join(place, 'target');
        const extracted = await extractCpio(bytes, target).then(() => 'ok', outcome('extractCpio'));
        count(`extract ${extracted}`);
        // Only a successful extraction leaves anything, and only the target itself.
        expect(await readdir(place)).toEqual(extracted === 'ok' ? ['target'] : []);
        await dir.check();
        await rm(target, { recursive: true, force: true });
      } catch (error) {
        throw new Error(`${replay}: ${(error as Error).message}`, { cause: error });
      }
      if (i % 50 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    };
    // The first failure stops every worker; all have finished before it is reported (and before cleanup).
    let next = 0;
    let failure: unknown;
    await Promise.all(
      workers.map(async (worker) => {
        const place = join(work, 'run', worker);
        await mkdir(place);
        while (next < CASES && failure === undefined)
          await runCase(next++, place).catch((error: unknown) => (failure ??= error));
      }),
    );
    if (failure !== undefined) throw failure;
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const growth = rssPeak - rssBefore;
    console.log(
      `cpio fuzz: ${CASES} cases, seed ${BASE_SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s, RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, peak +${(growth / 2 ** 20).toFixed(1)} MiB\n` +
        [...outcomes]
          .sort()
          .map(([key, n]) => `  ${key}: ${n}`)
          .join('\n'),
    );
    expect(growth).toBeLessThan(RSS_BOUND);
    // The mutations reach both outcomes of both operations (the fuzz is not stuck on the magic check).
    expect(outcomes.get('list ok')).toBeGreaterThan(0);
    expect(outcomes.get('extract ok')).toBeGreaterThan(0);
    expect([...outcomes.keys()].filter((key) => key.startsWith('extract ERR_')).length).toBeGreaterThan(2);
  });
});
