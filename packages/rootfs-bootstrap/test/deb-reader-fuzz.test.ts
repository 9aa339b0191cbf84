// Seeded random mutations of valid .debs generated here (ar container, control and data tarballs;
// uncompressed, gzip, xz and zstd) through the three readers: readDebControlArchive, listDeb and
// unpackDeb (as root, with chown). Every failure must be a typed error with a stable code, and
// nothing may change beside the roots. FUZZ_SEED=<n> repeats a run, FUZZ_ITERATIONS=<n> resizes it,
// FUZZ_TRACE=1 names each case on stderr as it starts (for a run that hangs).
import { isDistroforgeError } from '@distroforge/core';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDebControlArchive } from '../src/apt/deb/control-archive.js';
import { listDeb } from '../src/apt/deb/list.js';
import { unpackDeb } from '../src/apt/deb/unpack.js';
import { ar, compress, paxHeader, tarMember, type DebCompression, type TarMember } from './deb-builder.js';
import { seededRandom } from '../../../tools/testing/seeded-random.mjs';

// A fixed seed by default, so a red run is the code's and replays as is; FUZZ_SEED explores others.
const seed = Number(process.env.FUZZ_SEED ?? 20261206);
const iterations = Number(process.env.FUZZ_ITERATIONS ?? 1500);
const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-fuzz-'));
const sentinelDir = join(work, 'sentinel');
const sentinel = join(sentinelDir, 'secret');

/** The codes a corrupt or hostile .deb may end in. */
const EXPECTED_CODES = new Set([
  'ERR_BOOTSTRAP_DEB_FORMAT',
  'ERR_BOOTSTRAP_UNSAFE_PATH',
  'ERR_BOOTSTRAP_UNPACK_WRITE',
  'ERR_BOOTSTRAP_CONTROL_SYNTAX',
]);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const random = seededRandom;
type Random = ReturnType<typeof random>;

// The valid package: nested directories, files, relative and absolute symlinks (two of them lead
// out of the root on the host), a hard link, a fifo, a setuid file and an owned one.
const dataMembers: TarMember[] = [
  { path: './', type: 'Directory' },
  { path: './usr/', type: 'Directory' },
  { path: './usr/bin/', type: 'Directory' },
  { path: './usr/bin/tool', body: '#!/bin/sh\necho tool\n', mode: 0o4755 },
  { path: './usr/bin/tool-hard', type: 'Link', linkpath: './usr/bin/tool' },
  { path: './usr/bin/tool-link', type: 'SymbolicLink', linkpath: 'tool' },
  { path: './usr/share/', type: 'Directory' },
  { path: './usr/share/doc/', type: 'Directory', mode: 0o700 },
  { path: './usr/share/doc/owned', body: 'owned\n', uid: 1000, gid: 42 },
  { path: './usr/share/doc/big', body: 'x'.repeat(20_000) },
  { path: './usr/share/out', type: 'SymbolicLink', linkpath: '../../../../sentinel' },
  { path: './usr/share/abs', type: 'SymbolicLink', linkpath: sentinelDir },
  { path: './etc/', type: 'Directory' },
  { path: './etc/fifo', type: 'FIFO' },
  { path: './etc/conf', body: 'setting = 1\n' },
];
const controlMembers: TarMember[] = [
  { path: './', type: 'Directory' },
  {
    path: './control',
    body: 'Package: fuzzed\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: fuzzed\n',
  },
  { path: './md5sums', body: 'd41d8cd98f00b204e9800998ecf8427e  etc/conf\n' },
  { path: './postinst', body: '#!/bin/sh\nexit 0\n', mode: 0o755 },
];

const INTERESTING_NAMES = [
  '../x',
  '/etc/evil',
  './usr',
  './usr/share/out/secret',
  './usr/share/abs/secret',
  './usr/share/abs',
  './usr/bin/tool',
  './etc',
  'a/../../b',
  '.',
  '',
  'x'.repeat(99),
];
const INTERESTING_LINKS = [
  '..',
  '/',
  '../../..',
  sentinel,
  sentinelDir,
  './usr/bin/tool',
  './usr/share/out',
  './usr/share/abs',
  'tool-link',
  '',
];
const INTERESTING_SIZES = ['0', '1', '777', '77777777777', '10000000000', '-1', '9'.repeat(11)];
const TYPE_FLAGS = '0125637LKxgA\0';

/** Rewrites a header's checksum (most mutations keep it valid so the parser goes on). */
function fixChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i]!;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

function writeField(block: Buffer, offset: number, length: number, value: string): void {
  block.fill(0, offset, offset + length);
  block.write(value.slice(0, length), offset, 'latin1');
}

/** One mutation of a member (header + body) list. */
function mutateMembers(members: Buffer[], r: Random): Buffer[] {
  const out: Buffer[] = members.map((m) => Buffer.from(m));
  const at = r.int(out.length);
  switch (r.int(8)) {
    case 0: {
      // A header field set to an interesting value.
      const header = out[at]!;
      // A body block (or a short trailing piece) has no header fields to set.
      if (header.length < 512) break;
      const field = r.int(5);
      if (field === 0) writeField(header, 0, 100, r.pick(INTERESTING_NAMES));
      if (field === 1) writeField(header, 157, 100, r.pick(INTERESTING_LINKS));
      if (field === 2) header[156] = TYPE_FLAGS.charCodeAt(r.int(TYPE_FLAGS.length));
      if (field === 3) writeField(header, 124, 12, r.pick(INTERESTING_SIZES));
      if (field === 4) writeField(header, 100, 8, r.int(0o10000).toString(8).padStart(7, '0'));
      if (r.next() < 0.9) fixChecksum(header);
      break;
    }
    case 1:
      out.splice(r.int(out.length + 1), 0, Buffer.from(out[at]!)); // a member twice
      break;
    case 2:
      out.splice(at, 1);
      break;
    case 3: {
      const other = r.int(out.length);
      [out[at], out[other]] = [out[other]!, out[at]!];
      break;
    }
    case 4: {
      // A new member: hostile names and links combined.
      const type = r.pick(['File', 'Directory', 'SymbolicLink', 'Link'] as const);
      const member: TarMember = {
        path: r.pick(INTERESTING_NAMES) || 'x',
        type,
        mode: r.pick([0o777, 0o000, 0o4755, 0o644]),
      };
      if (type === 'SymbolicLink' || type === 'Link') member.linkpath = r.pick(INTERESTING_LINKS) || '.';
      if (type === 'File') member.body = 'fuzz\n';
      out.splice(r.int(out.length + 1), 0, tarMember(member));
      break;
    }
    case 5: {
      // A pax header before a member.
      const key = r.pick(['path', 'linkpath', 'size', 'mtime', 'uid', 'SCHILY.xattr.user.x']);
      const value = r.pick([
        ...INTERESTING_NAMES,
        ...INTERESTING_LINKS,
        '99999999999999999999',
        'a'.repeat(5000),
        '-5',
        '1e400',
      ]);
      const declared = r.next() < 0.1 ? r.pick([1 << 20, 2 ** 33, 0]) : undefined;
      out.splice(at, 0, paxHeader({ [key]: value }, declared));
      break;
    }
    case 6: {
      const member = out[at]!;
      for (let n = 1 + r.int(8); n > 0; n--) member[r.int(member.length)] = r.int(256);
      break;
    }
    default: {
      const member = out[at]!;
      out[at] = member.subarray(0, r.int(member.length + 1)); // a member cut short
    }
  }
  return out;
}

function mutateBytes(data: Buffer, r: Random): Buffer {
  const out: Buffer = Buffer.from(data);
  switch (r.int(3)) {
    case 0:
      for (let n = 1 + r.int(16); n > 0; n--) out[r.int(out.length)] = r.int(256);
      return out;
    case 1:
      return out.subarray(0, r.int(out.length + 1));
    default: {
      // A run of bytes duplicated elsewhere.
      const start = r.int(out.length);
      const run = out.subarray(start, start + r.int(1024));
      const at = r.int(out.length);
      return Buffer.concat([out.subarray(0, at), run, out.subarray(at)]);
    }
  }
}

const tarOfMembers = (members: Buffer[]) => Buffer.concat([...members, Buffer.alloc(1024)]);
const baseData = dataMembers.map(tarMember);
const baseControl = controlMembers.map(tarMember);
const suffix = (c: DebCompression | 'none') => (c === 'none' ? '' : `.${c}`);

function debOf(
  control: Buffer,
  data: Buffer,
  compression: DebCompression | 'none',
  compressedControl?: Buffer,
  compressedData?: Buffer,
): Buffer {
  const packed = (b: Buffer) => (compression === 'none' ? b : compress(b, compression));
  return ar([
    ['debian-binary', Buffer.from('2.0\n')],
    [`control.tar${suffix(compression)}`, compressedControl ?? packed(control)],
    [`data.tar${suffix(compression)}`, compressedData ?? packed(data)],
  ]);
}

// xz and zstd members are compressed once (spawning the compressors per case would dominate);
// their cases mutate the compressed bytes and the container.
const prebuilt = Object.fromEntries(
  (['xz', 'zst'] as const).map((c) => [
    c,
    { control: compress(tarOfMembers(baseControl), c), data: compress(tarOfMembers(baseData), c) },
  ]),
) as Record<'xz' | 'zst', { control: Buffer; data: Buffer }>;

/** One fuzzed .deb and a description of how it was made. */
function fuzzedDeb(r: Random): { deb: Buffer; how: string } {
  // Mostly in-process cases: xz and zstd data members spawn a decompressor per read.
  const compression = r.pick(['none', 'none', 'none', 'gz', 'gz', 'gz', 'xz', 'zst'] as const);
  if (compression === 'xz' || compression === 'zst') {
    const { control, data } = prebuilt[compression];
    const target = r.int(3);
    const deb = debOf(
      Buffer.alloc(0),
      Buffer.alloc(0),
      compression,
      target === 0 ? mutateBytes(control, r) : control,
      target === 1 ? mutateBytes(data, r) : data,
    );
    return {
      deb: target === 2 ? mutateBytes(deb, r) : deb,
      how: `${compression}: bytes of ${['control', 'data', 'container'][target]}`,
    };
  }
  let data = baseData;
  let control = baseControl;
  const rounds = 1 + r.int(4);
  for (let i = 0; i < rounds; i++) {
    if (r.next() < 0.8) data = mutateMembers(data, r);
    else control = mutateMembers(control, r);
  }
  const deb = debOf(tarOfMembers(control), tarOfMembers(data), compression);
  return r.next() < 0.15
    ? { deb: mutateBytes(deb, r), how: `${compression}: members x${rounds}, then bytes` }
    : { deb, how: `${compression}: members x${rounds}` };
}

function outside() {
  const file = lstatSync(sentinel);
  const dir = statSync(sentinelDir);
  return `${readdirSync(work).sort().join(',')}|${readdirSync(sentinelDir).join(',')}|${readFileSync(sentinel, 'utf8')}|${file.mode}:${file.uid}:${file.gid}:${file.nlink}|${dir.mode}:${dir.uid}:${dir.gid}`;
}

// Printed first, so a run that hangs can be repeated too.
console.log(`deb reader fuzz: FUZZ_SEED=${seed}`);

describe('the .deb readers under seeded random mutations', () => {
  it(`end in typed errors only and write nothing outside the root (${iterations} cases)`, async () => {
    mkdirSync(sentinelDir, { mode: 0o700 });
    writeFileSync(sentinel, 'secret\n', { mode: 0o600 });
    const roots = join(work, 'roots');
    mkdirSync(roots);
    const deb = join(work, 'case.deb');
    writeFileSync(deb, '');
    const before = outside();
    const r = random(seed);
    const codes = new Map<string, number>();
    const started = performance.now();
    const rssStart = process.memoryUsage().rss;
    let rssPeak = rssStart;
    let clean = 0;
    for (let i = 0; i < iterations; i++) {
      const { deb: bytes, how } = fuzzedDeb(r);
      writeFileSync(deb, bytes);
      const root = join(roots, String(i));
      mkdirSync(root);
      if (process.env.FUZZ_TRACE) {
        process.stderr.write(`case ${i}: ${how}\n`);
        writeFileSync(join(tmpdir(), 'rootfs-bootstrap-fuzz-current.deb'), bytes);
      }
      const where = `FUZZ_SEED=${seed}, case ${i} (${how}); the .deb is kept at ${join(tmpdir(), `rootfs-bootstrap-fuzz-${seed}-${i}.deb`)}`;
      for (const [reader, run] of [
        ['readDebControlArchive', () => readDebControlArchive(deb)],
        ['listDeb', () => listDeb(deb)],
        ['unpackDeb', () => unpackDeb(deb, root, { chown: true })],
      ] as const) {
        const error = await (run as () => Promise<unknown>)().then(
          () => undefined,
          (e: unknown) => e,
        );
        if (error === undefined) {
          clean++;
          continue;
        }
        const code = isDistroforgeError(error) ? error.code : undefined;
        if (!code || !EXPECTED_CODES.has(code)) {
          writeFileSync(join(tmpdir(), `rootfs-bootstrap-fuzz-${seed}-${i}.deb`), bytes);
          expect.fail(`${reader} threw ${String(code ?? (error as Error)?.stack ?? error)} at ${where}`);
        }
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      if (outside() !== before) {
        writeFileSync(join(tmpdir(), `rootfs-bootstrap-fuzz-${seed}-${i}.deb`), bytes);
        expect.fail(`something outside the root changed at ${where}`);
      }
      rmSync(root, { recursive: true, force: true });
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    const mib = (n: number) => Math.round(n / 2 ** 20);
    console.log(
      `deb reader fuzz: seed ${seed}, ${iterations} cases in ${Math.round((performance.now() - started) / 1000)} s; ` +
        `RSS ${mib(rssStart)} MiB at start, peak ${mib(rssPeak)} MiB; reads without error ${clean}; ` +
        [...codes].map(([c, n]) => `${c} ${n}`).join(', '),
    );
    // Every kind of outcome was reached, so the mutations are not all caught at the door.
    expect(clean, `FUZZ_SEED=${seed}`).toBeGreaterThan(0);
    expect(codes.get('ERR_BOOTSTRAP_DEB_FORMAT') ?? 0, `FUZZ_SEED=${seed}`).toBeGreaterThan(0);
    // Nothing is held per case: the peak stays within a fixed allowance over the start.
    expect(rssPeak - rssStart, `FUZZ_SEED=${seed}: RSS grew from ${mib(rssStart)} to ${mib(rssPeak)} MiB`).toBeLessThan(
      256 * 2 ** 20,
    );
  }, 300_000);
});
