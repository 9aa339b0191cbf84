import { DecompressError } from '@distroforge/core';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopThread, ZstdDecoderPool, zstdDecoderFor } from '../src/pacman/install/zstd-decoder.js';

it("the process's decoder is the native libzstd (zstd-napi, built at install here)", async () => {
  expect((await zstdDecoderFor())?.kind).toBe('native');
});

it("a stop reaches a thread that checked the stop flag and is about to sleep on the reader's count (it does not sleep)", () => {
  // The thread's wait for the reader: it reads the count (word 0), sees no stop (word 1), then
  // sleeps while word 0 still holds what it read. A stop in between must change word 0: a notify
  // alone comes before the sleep and is lost (the thread then slept for ever, its process kept).
  const control = new Int32Array(new SharedArrayBuffer(8));
  Atomics.store(control, 0, 3);
  const consumed = Atomics.load(control, 0);
  expect(Atomics.load(control, 1)).toBe(0);
  stopThread(control);
  expect(Atomics.wait(control, 0, consumed, 2000)).toBe('not-equal');
  expect(Atomics.load(control, 1)).toBe(1);
});

// Both in-process zstd decoders (the native libzstd and the WebAssembly one it falls back to)
// against the zstd tool as the oracle: the same bytes for what the tool decodes, a DecompressError
// naming the file for what it refuses.
/** Where the compressed bytes come from: a file (the packages) or memory (the sync databases). */
const SOURCES = [
  { from: 'file', what: 'a file' },
  { from: 'bytes', what: 'bytes in memory' },
  { from: 'here', what: 'bytes in memory decoded in this thread (native only)' },
] as const;
type Source = (typeof SOURCES)[number]['from'];

describe.each(['native', 'wasm'] as const)('in-process zstd decoder (%s)', (kind) => {
  const work = mkdtempSync(join(tmpdir(), 'pacman-zstd-'));
  // decodeBytesHere is the native libzstd's only (the WebAssembly one runs on the threads).
  const sources = SOURCES.filter((s) => kind === 'native' || s.from !== 'here');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const zstd = (args: string[], input: Buffer) => execFileSync('zstd', ['-q', ...args], { input, maxBuffer: 1 << 28 });
  const file = (name: string, bytes: Buffer) => {
    const path = join(work, name);
    writeFileSync(path, bytes);
    return path;
  };
  let made: Promise<ZstdDecoderPool> | undefined;
  const decoder = async (): Promise<ZstdDecoderPool> => {
    made ??= ZstdDecoderPool.create({ native: kind === 'native' });
    const pool = await made;
    expect(pool.kind).toBe(kind);
    return pool;
  };
  /** The file decoded as the packages are (`decodeFile`) or read into memory first (`decodeBytes`, the sync databases). */
  const decoding = (pool: ZstdDecoderPool, path: string, from: Source): AsyncIterable<Buffer> | Iterable<Buffer> => {
    if (from === 'file') return pool.decodeFile(path, path);
    if (from === 'bytes') return pool.decodeBytes(readFileSync(path), path);
    const here = pool.decodeBytesHere(readFileSync(path), path);
    if (!here) throw new Error('decodeBytesHere: no native libzstd');
    return here;
  };
  const decodeAll = async (pool: ZstdDecoderPool, path: string, from: Source = 'file') => {
    const chunks: Buffer[] = [];
    for await (const chunk of decoding(pool, path, from)) chunks.push(chunk);
    return Buffer.concat(chunks);
  };
  const failure = async (pool: ZstdDecoderPool, path: string, from: Source = 'file') =>
    decodeAll(pool, path, from).then(
      () => undefined,
      (e: unknown) => e,
    );

  /** Compressible data of `size` bytes: text with random runs, as package contents are. */
  const data = (size: number) => {
    const parts: Buffer[] = [];
    for (let n = 0; n < size; ) {
      const part = n % 3 === 0 ? randomBytes(700) : Buffer.from(`line ${n} of the file system\n`.repeat(40));
      parts.push(part);
      n += part.length;
    }
    return Buffer.concat(parts).subarray(0, size);
  };

  it.each(sources)(
    'gives what zstd -dc gives, from $what: empty, small, several MiB (more than a chunk and than the read-ahead), level 19 with a long window, concatenated frames and a skippable frame',
    async ({ from }) => {
      const pool = await decoder();
      const big = data(9 << 20);
      const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]), Buffer.from('skip')]);
      const cases: [string, Buffer][] = [
        ['empty', zstd(['-c'], Buffer.alloc(0))],
        ['small', zstd(['-c'], Buffer.from('hello\n'))],
        ['big', zstd(['-c', '-3'], big)],
        ['long window', zstd(['-c', '-19', '--long=24'], big)],
        [
          'frames',
          Buffer.concat([zstd(['-c'], big.subarray(0, 3 << 20)), skippable, zstd(['-c'], big.subarray(3 << 20))]),
        ],
      ];
      for (const [name, bytes] of cases) {
        const path = file(`${name.replace(' ', '-')}.zst`, bytes);
        const ours = await decodeAll(pool, path, from);
        const theirs = execFileSync('zstd', ['-dc', path], { maxBuffer: 1 << 28 });
        expect(ours.equals(theirs), name).toBe(true);
      }
    },
  );

  it.each(sources)(
    'damaged data, from $what: a DecompressError (ERR_DECOMPRESS_CORRUPT) naming the origin, as the tool refuses it too',
    async ({ from }) => {
      const pool = await decoder();
      const good = zstd(['-c'], data(3 << 20));
      const flipped = Buffer.from(good);
      for (let i = 200_000; i < 200_400; i++) flipped[i]! ^= 0x5a;
      const badMagic = Buffer.from(good);
      badMagic[0] = 0;
      const trailing = Buffer.concat([good, Buffer.from('not a frame at all')]);
      for (const [name, bytes] of [
        ['flipped', flipped],
        ['bad-magic', badMagic],
        ['trailing', trailing],
      ] as const) {
        const path = file(`${name}.zst`, bytes);
        expect(() => execFileSync('zstd', ['-dc', path], { stdio: 'ignore', maxBuffer: 1 << 28 }), name).toThrow();
        const error = await failure(pool, path, from);
        expect(error, name).toBeInstanceOf(DecompressError);
        expect((error as DecompressError).code, name).toBe('ERR_DECOMPRESS_CORRUPT');
        expect((error as DecompressError).path, name).toBe(path);
      }
    },
  );

  it.each(sources)(
    'cut-off data, from $what: ERR_DECOMPRESS_TRUNCATED naming the origin, after the bytes that did decode',
    async ({ from }) => {
      const pool = await decoder();
      const plain = data(3 << 20);
      const good = zstd(['-c'], plain);
      for (const cut of [good.length - 1, Math.floor(good.length / 2), 6]) {
        const path = file(`cut-${cut}.zst`, good.subarray(0, cut));
        const chunks: Buffer[] = [];
        const error = await (async () => {
          for await (const chunk of decoding(pool, path, from)) chunks.push(chunk);
        })().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `cut at ${cut}`).toBeInstanceOf(DecompressError);
        expect((error as DecompressError).code).toBe('ERR_DECOMPRESS_TRUNCATED');
        expect((error as DecompressError).path).toBe(path);
        const decoded = Buffer.concat(chunks);
        expect(plain.subarray(0, decoded.length).equals(decoded)).toBe(true);
      }
    },
  );

  it('a metadata pace (small chunks, one ahead) gives the same bytes in chunks of that size', async () => {
    const pool = await decoder();
    const plain = data(3 << 20);
    const path = file('paced.zst', zstd(['-c'], plain));
    const chunks: Buffer[] = [];
    for await (const chunk of pool.decodeFile(path, path, { chunkBytes: 128 * 1024, ahead: 1 })) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(plain)).toBe(true);
    expect(Math.max(...chunks.map((c) => c.length))).toBe(128 * 1024);
    // A later job on the same threads has the default pace again.
    const whole: Buffer[] = [];
    for await (const chunk of pool.decodeFile(path, path)) whole.push(chunk);
    expect(Math.max(...whole.map((c) => c.length))).toBe(1 << 20);
  });

  it("reuse: each chunk's memory goes back to the thread once the next is asked for, and the bytes stay right (a second decode into the first one's memory)", async () => {
    const pool = await decoder();
    const plain = data(9 << 20);
    const path = file('reused.zst', zstd(['-c'], plain));
    for (const round of [1, 2]) {
      const copies: Buffer[] = [];
      const given: Buffer[] = [];
      for await (const chunk of pool.decodeFile(path, path, { reuse: true })) {
        copies.push(Buffer.from(chunk));
        given.push(chunk);
      }
      expect(Buffer.concat(copies).equals(plain), `round ${round}`).toBe(true);
      // Handed back (transferred) as the loop asked for the next: 9 full chunks, each empty now.
      expect(
        given.map((c) => c.length),
        `round ${round}`,
      ).toEqual(Array(9).fill(0));
    }
  });

  it('a reader that stops early frees its thread: more files than threads, some abandoned after a chunk, the rest decode whole', async () => {
    const pool = await decoder();
    const plain = data(6 << 20);
    const path = file('shared.zst', zstd(['-c'], plain));
    const readers = Array.from({ length: 7 }, async (_, k) => {
      if (k % 2 === 1) {
        for await (const chunk of pool.decodeFile(path, path)) {
          expect(chunk.length).toBeGreaterThan(0);
          break;
        }
        return true;
      }
      return (await decodeAll(pool, path)).equals(plain);
    });
    expect(await Promise.all(readers)).toEqual(Array(7).fill(true));
  });

  it('a file that cannot be read: a DecompressError naming it', async () => {
    const pool = await decoder();
    const missing = join(work, 'missing.zst');
    const error = await failure(pool, missing);
    expect(error).toBeInstanceOf(DecompressError);
    expect((error as DecompressError).path).toBe(missing);
    expect((error as DecompressError).message).toContain('ENOENT');
  });
});
