import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clearToolCache,
  compressionOfFileName,
  compressorMagicBytes,
  compressors,
  decompress,
  DecompressError,
  decompressFile,
  sniffCompressor,
  type Compression,
  type Compressor,
} from '../src/index.js';

// Compressible but not trivially so: repeated random words.
const words = Array.from({ length: 512 }, () => randomBytes(6).toString('hex'));
const plain = Buffer.from(Array.from({ length: 200_000 }, (_, i) => words[(i * 7919) % words.length]).join(' '));

/** Compressed by the reference tools themselves (zlib for gzip). */
async function compressWith(compressor: Compressor, data: Buffer): Promise<Buffer> {
  if (compressor === 'gzip') return gzipSync(data);
  const [tool, args] = {
    xz: ['xz', ['-c', '-T1']],
    lzma: ['xz', ['-c', '--format=lzma']],
    zstd: ['zstd', ['-c', '-q']],
    bzip2: ['bzip2', ['-c']],
  }[compressor] as [string, string[]];
  return (await execa(tool, args, { input: data, encoding: 'buffer', stripFinalNewline: false })).stdout as Buffer;
}

const compressed = new Map<Compressor, Buffer>();
beforeAll(async () => {
  for (const compressor of compressors) compressed.set(compressor, await compressWith(compressor, plain));
});

/** Yields `data` in pieces of `size` bytes (odd sizes cut through headers and blocks). */
async function* pieces(data: Buffer, size = 4093): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('sniffCompressor', () => {
  it('recognises the output of each reference tool by its first bytes, and nothing else', () => {
    for (const compressor of compressors) {
      expect(sniffCompressor(compressed.get(compressor)!.subarray(0, compressorMagicBytes))).toBe(compressor);
    }
    expect(sniffCompressor(plain)).toBeUndefined();
    expect(sniffCompressor(Buffer.from('070701'))).toBeUndefined(); // a cpio archive
    expect(sniffCompressor(Buffer.alloc(0))).toBeUndefined();
    expect(sniffCompressor(Buffer.from([0x1f]))).toBeUndefined(); // half a gzip magic
    expect(sniffCompressor(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a]))).toBeUndefined(); // xz magic less its last byte
  });
});

describe('compressionOfFileName', () => {
  it.each([
    ['Packages.xz', 'xz'],
    ['data.tar.zst', 'zstd'],
    ['primary.xml.gz', 'gzip'],
    ['Packages.bz2', 'bzip2'],
    ['data.tar.lzma', 'lzma'],
    ['data.tar', 'none'],
    ['Packages', 'none'],
    ['file.gzip', 'none'],
  ] as const)('%s -> %s', (name, expected) => {
    expect(compressionOfFileName(name)).toBe(expected);
  });
});

describe('decompress', () => {
  it.each(compressors)('%s: decodes what the reference tool wrote, fed in odd-sized pieces', async (compressor) => {
    expect((await collect(decompress(pieces(compressed.get(compressor)!), compressor))).equals(plain)).toBe(true);
  });

  it('none passes the chunks through (Uint8Array views become Buffers over the same bytes)', async () => {
    async function* views() {
      yield new Uint8Array([1, 2, 3]);
      yield Buffer.from([4]);
    }
    const out: Buffer[] = [];
    for await (const chunk of decompress(views(), 'none' satisfies Compression)) out.push(chunk);
    expect(out.every((chunk) => Buffer.isBuffer(chunk))).toBe(true);
    expect(Buffer.concat(out)).toEqual(Buffer.from([1, 2, 3, 4]));
  });

  it.each(compressors)(
    '%s: data cut short is ERR_DECOMPRESS_TRUNCATED naming the compressor and origin',
    async (compressor) => {
      const data = compressed.get(compressor)!;
      const error = await collect(
        decompress(pieces(data.subarray(0, Math.floor(data.length / 2))), compressor, { origin: 'cut.bin' }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DecompressError);
      expect(error).toMatchObject({
        code: 'ERR_DECOMPRESS_TRUNCATED',
        value: compressor,
        compressor,
        path: 'cut.bin',
        hint: expect.stringContaining('ends early'),
      });
      expect((error as Error).message).toMatch(new RegExp(`^cut\\.bin: truncated ${compressor} data: `));
      if (compressor !== 'gzip') expect((error as DecompressError).command?.[0]).toMatch(/\/(xz|zstd|bzip2)$/);
    },
  );

  it.each(compressors)(
    '%s: damaged data is a DecompressError (never a raw error, never silently wrong output)',
    async (compressor) => {
      const data = Buffer.from(compressed.get(compressor)!);
      // Past the headers, inside the compressed blocks.
      for (let at = Math.floor(data.length / 3); at < Math.floor(data.length / 3) + 64; at++) data[at]! ^= 0x55;
      const result = await collect(decompress(pieces(data), compressor)).catch((e: unknown) => e);
      expect(result).toBeInstanceOf(DecompressError);
      expect((result as DecompressError).code).toMatch(/^ERR_DECOMPRESS_(CORRUPT|TRUNCATED)$/);
      expect((result as DecompressError).hint).toBeTruthy();
    },
  );

  it('data that is not of the named compressor is ERR_DECOMPRESS_CORRUPT with the tool and its exit code', async () => {
    const error = await collect(decompress(pieces(plain), 'xz', { origin: 'x' })).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_DECOMPRESS_CORRUPT',
      value: 'xz',
      exitCode: 1,
      logTail: expect.stringMatching(/format/i),
    });
    await expect(collect(decompress(pieces(plain), 'gzip'))).rejects.toMatchObject({
      code: 'ERR_DECOMPRESS_CORRUPT',
      value: 'gzip',
    });
  });

  it.each(['gzip', 'xz', 'zstd'] as const)(
    '%s: an error of the source itself is rethrown as is, not reported as damaged data',
    async (compressor) => {
      const failure = new Error('device went away');
      async function* failing() {
        yield compressed.get(compressor)!.subarray(0, 1000);
        throw failure;
      }
      await expect(collect(decompress(failing(), compressor))).rejects.toBe(failure);
    },
  );

  it.each(['gzip', 'xz'] as const)(
    '%s: stopping early ends the decoder and stops reading the source',
    async (compressor) => {
      const data = await compressWith(compressor, randomBytes(1 << 20));
      let closed = false;
      let pulled = 0;
      async function* source() {
        try {
          for await (const piece of pieces(data, 4096)) {
            pulled++;
            yield piece;
          }
        } finally {
          closed = true;
        }
      }
      for await (const chunk of decompress(source(), compressor)) {
        expect(chunk.length).toBeGreaterThan(0);
        break;
      }
      expect(closed).toBe(true);
      expect(pulled).toBeLessThan(data.length / 4096 / 2);
    },
  );

  it('xz: concatenated streams are decoded; singleStream stops after the first and ignores what follows', async () => {
    const first = await compressWith('xz', Buffer.from('first\n'));
    const second = await compressWith('xz', Buffer.from('second\n'));
    expect((await collect(decompress(pieces(Buffer.concat([first, second]), 7), 'xz'))).toString()).toBe(
      'first\nsecond\n',
    );
    expect(
      (
        await collect(
          decompress(pieces(Buffer.concat([first, second, Buffer.from('trailing junk')]), 7), 'xz', {
            singleStream: true,
          }),
        )
      ).toString(),
    ).toBe('first\n');
  });

  it('xz: threads decodes a stream of several blocks in parallel (xz -T), the same bytes; a bad count is refused', async () => {
    // 64 KiB blocks: the threaded decoder has blocks to share out (a single-block stream decodes on one thread).
    const blocks = (
      await execa('xz', ['-c', '-T2', '--block-size=65536'], {
        input: plain,
        encoding: 'buffer',
        stripFinalNewline: false,
      })
    ).stdout as Buffer;
    expect(blocks.length).toBeGreaterThan(0);
    for (const threads of [0, 2]) {
      expect((await collect(decompress(pieces(blocks), 'xz', { threads }))).equals(plain)).toBe(true);
    }
    // The count reaches the tool (its command line is in the error a damaged stream raises).
    const damaged = Buffer.from(blocks);
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    const error = await collect(decompress(pieces(damaged), 'xz', { threads: 2 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecompressError);
    expect((error as DecompressError).command).toContain('-T2');
    const defaulted = await collect(decompress(pieces(damaged), 'xz')).catch((e: unknown) => e);
    expect((defaulted as DecompressError).command).toContain('-T1');
    await expect(collect(decompress(pieces(blocks), 'xz', { threads: -1 }))).rejects.toThrow(RangeError);
    await expect(collect(decompress(pieces(blocks), 'xz', { threads: 1.5 }))).rejects.toThrow(/whole number/);
  });

  it("priority sets the tool's nice value while it decodes; the bytes are the same", async () => {
    // 32 MiB of zeros: the tool blocks on its full stdout pipe while the first chunk is looked at.
    const big = Buffer.alloc(32 << 20);
    const packed = (await execa('zstd', ['-c', '-1'], { input: big, encoding: 'buffer', stripFinalNewline: false }))
      .stdout as Buffer;
    const niceOfChildren = async () => {
      const values: number[] = [];
      for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        // pid (comm) state ppid ... nice is the 19th field; comm may hold spaces, so split after it.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (stat.includes('(zstd)') && Number(fields[1]) === process.pid) values.push(Number(fields[16]));
      }
      return values;
    };
    for (const [priority, expected] of [
      [10, 10],
      [undefined, 0],
    ] as const) {
      const chunks = decompress(pieces(packed), 'zstd', priority === undefined ? {} : { priority });
      const first = await chunks.next();
      expect(first.done).toBe(false);
      expect(await niceOfChildren()).toEqual([expected]);
      const rest = await collect(chunks);
      expect(Buffer.concat([first.value as Buffer, rest]).equals(big)).toBe(true);
    }
  });

  describe('without the external tools', () => {
    let emptyPath: string;
    const path = process.env.PATH;
    beforeAll(async () => {
      emptyPath = await mkdtemp(join(tmpdir(), 'distroforge-no-tools-'));
      process.env.PATH = emptyPath;
      clearToolCache();
    });
    afterAll(async () => {
      process.env.PATH = path;
      clearToolCache();
      await rm(emptyPath, { recursive: true, force: true });
    });

    it.each([
      ['xz', 'apt-get install xz-utils'],
      ['lzma', 'apt-get install xz-utils'],
      ['zstd', 'apt-get install zstd'],
      ['bzip2', 'apt-get install bzip2'],
    ] as const)('%s: ERR_TOOL_MISSING with the apt package that provides the decoder', async (compressor, install) => {
      await expect(collect(decompress(pieces(compressed.get(compressor)!), compressor))).rejects.toMatchObject({
        code: 'ERR_TOOL_MISSING',
        hint: `install it with: ${install}`,
      });
    });

    it('a missing tool leaves the source closed (a file stream would keep its descriptor)', async () => {
      const source = Readable.from([compressed.get('xz')!]);
      await expect(collect(decompress(source, 'xz'))).rejects.toMatchObject({ code: 'ERR_TOOL_MISSING' });
      expect(source.destroyed).toBe(true);
    });

    it('gzip needs no tool', async () => {
      expect((await collect(decompress(pieces(compressed.get('gzip')!), 'gzip'))).equals(plain)).toBe(true);
    });
  });
});

describe('decompressFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'df-decompress-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([...compressors, 'none' as const])(
    '%s: decodes the file (the tools open it themselves)',
    async (compression) => {
      const file = join(dir, `data.${compression}`);
      await writeFile(file, compression === 'none' ? plain : compressed.get(compression)!);
      expect((await collect(decompressFile(file, compression))).equals(plain)).toBe(true);
    },
  );

  it('zstd through a symlink (zstd itself skips a link named as its input)', async () => {
    const file = join(dir, 'real.zst');
    await writeFile(file, compressed.get('zstd')!);
    await symlink(file, join(dir, 'link.zst'));
    expect((await collect(decompressFile(join(dir, 'link.zst'), 'zstd'))).equals(plain)).toBe(true);
  });

  it('a file that is not of the named compressor is ERR_DECOMPRESS_CORRUPT naming the file; a missing file is ENOENT', async () => {
    const file = join(dir, 'plain.zst');
    await writeFile(file, plain);
    const error = await collect(decompressFile(file, 'zstd')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecompressError);
    expect(error).toMatchObject({ code: 'ERR_DECOMPRESS_CORRUPT', value: 'zstd', path: file });
    await expect(collect(decompressFile(join(dir, 'missing.zst'), 'zstd'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stopping early ends the tool and yields no more', async () => {
    const file = join(dir, 'stop.xz');
    await writeFile(file, compressed.get('xz')!);
    let chunks = 0;
    for await (const _ of decompressFile(file, 'xz')) {
      chunks++;
      break;
    }
    expect(chunks).toBe(1);
  });
});
