import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { setPriority } from 'node:os';
import type { TransformOptions, Writable } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import type { Compression, Compressor } from './compression.js';
import { DecompressError } from './errors.js';
import { findTool, type ToolSpec } from './find-tool.js';
import { knownTools } from './known-tools.js';

/** Bytes in chunks: a stream, an async generator, or an array of buffers. */
export type ByteChunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface DecompressOptions {
  /** Names the data in errors (`path` of a `DecompressError`): a file, a URL, `file: member`. */
  origin?: string;
  /**
   * xz only: stop after the first stream and ignore what follows it, as rpm reads a payload.
   * Default: decode concatenated streams, as `xz -d` does. (gzip always stops quietly at bytes that
   * do not start another gzip member; zstd and bzip2 decode concatenated frames and refuse anything else.)
   */
  singleStream?: boolean;
  /**
   * xz only: decoder threads, 0 for one per core (`xz -T`). Default 1. Only a stream of several
   * blocks decodes in parallel (a large `data.tar.xz`: Debian's kernel package has 17); worth it
   * for one big member on the critical path, not for many small ones decoded side by side.
   */
  threads?: number;
  /**
   * The tool's nice value (`os.setPriority`; xz, lzma, zstd and bzip2, not gzip): a decode done
   * ahead in the background gives the cores to work that something waits for. Default: unchanged.
   */
  priority?: number;
}

// -T1 by default: the callers already run decoders side by side (two packages unpack at once); xz >= 5.6
// would otherwise take every core for each. -q (xz, zstd) keeps errors but drops warnings from stderr.
const externalTools: Record<
  Exclude<Compressor, 'gzip'>,
  { spec: ToolSpec; args: (options: DecompressOptions) => string[] }
> = {
  xz: {
    spec: knownTools.xz,
    args: (options) => [
      '-d',
      '-c',
      '-q',
      `-T${xzThreads(options.threads)}`,
      ...(options.singleStream ? ['--single-stream'] : []),
    ],
  },
  lzma: { spec: knownTools.xz, args: () => ['-d', '-c', '-q', '--format=lzma'] },
  zstd: { spec: knownTools.zstd, args: () => ['-d', '-c', '-q'] },
  // No -q: bzip2's -q also silences the error that says why it failed.
  bzip2: { spec: knownTools.bzip2, args: () => ['-d', '-c'] },
};

/** `threads` as xz takes it (1 when unset); anything but a whole number >= 0 is a caller's bug. */
function xzThreads(threads: number | undefined): number {
  if (threads === undefined) return 1;
  if (!Number.isInteger(threads) || threads < 0)
    throw new RangeError(`decompress: threads must be a whole number >= 0 (0: one per core), got ${threads}`);
  return threads;
}

/**
 * Decompresses `source` (a stream, an async generator, an array of buffers) chunk by chunk, in constant memory. gzip is decoded by Node's zlib; xz,
 * lzma, zstd and bzip2 stream through the system's `xz`, `zstd` and `bzip2` tools: native decoders
 * are several times faster than any JavaScript port, and Node 20 has no zstd. `none` passes the
 * chunks through.
 *
 * Failures: damaged or cut-off data is a `DecompressError`; a missing tool is `ToolMissingError`
 * with its apt package (`apt-get install xz-utils`); an error of `source` itself is rethrown as is
 * (the caller's own read error wins over the decoder's reaction to input that stopped). Stopping
 * early (`break`, `return`) ends the decoder and stops reading `source`.
 */
export async function* decompress(
  source: ByteChunks,
  compression: Compression,
  options: DecompressOptions = {},
): AsyncGenerator<Buffer> {
  if (compression === 'none') {
    for await (const chunk of source)
      yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return;
  }
  if (compression === 'gzip') yield* gunzip(source, options);
  else yield* throughTool({ chunks: source }, compression, options);
}

/**
 * A file's bytes decompressed, as `decompress` gives them, but xz, lzma, zstd and bzip2 open the
 * file themselves: this process neither reads it nor copies it into a pipe (for a package of
 * hundreds of MB, half the memory traffic). A symlink is followed here, since zstd skips a link
 * named as its input. `origin` defaults to `file`.
 */
export async function* decompressFile(
  file: string,
  compression: Compression,
  options: DecompressOptions = {},
): AsyncGenerator<Buffer> {
  const named = { ...options, origin: options.origin ?? file };
  if (compression === 'none' || compression === 'gzip') {
    yield* decompress(createReadStream(file, { highWaterMark: 1 << 20 }), compression, named);
    return;
  }
  yield* throughTool({ file: await realpath(file) }, compression, named);
}

// 1 MiB output chunks: a quarter of the thread-pool round trips (and of the consumers' writes) of
// 256 KiB. Up to 4 MiB decompressed ahead of the reader, so inflation on the thread pool overlaps
// the consumer's work instead of waiting for each chunk to be taken; memory stays bounded.
const gunzipChunkSize = 1 << 20;
const gunzipReadAhead = 4 << 20;

async function* gunzip(source: ByteChunks, options: DecompressOptions): AsyncGenerator<Buffer> {
  // zlib streams pass stream options on to their Transform (Node's types list only the zlib ones).
  const zlibOptions: ZlibOptions & TransformOptions = {
    chunkSize: gunzipChunkSize,
    readableHighWaterMark: gunzipReadAhead,
  };
  const inflater = createGunzip(zlibOptions);
  const feeding = feed(source, inflater);
  try {
    for await (const chunk of inflater) yield chunk as Buffer;
  } catch (cause) {
    const { failed } = await feeding.settled();
    if (failed) throw failed.error;
    throw new DecompressError('gzip', (cause as Error).message, { origin: options.origin, cause });
  } finally {
    inflater.destroy();
    await feeding.settled();
  }
  const { failed } = await feeding.settled();
  if (failed) throw failed.error;
}

/** What a tool decompresses: chunks fed to its stdin, or a file it opens itself. */
type ToolInput = { chunks: ByteChunks } | { file: string };

async function* throughTool(
  input: ToolInput,
  compressor: Exclude<Compressor, 'gzip'>,
  options: DecompressOptions,
): AsyncGenerator<Buffer> {
  const { spec, args: argsFor } = externalTools[compressor];
  const tool = await findTool(spec).catch(async (error: unknown) => {
    // Nothing will read the source: close it (a file stream would otherwise keep its descriptor).
    if ('chunks' in input) await closeSource(input.chunks);
    throw error;
  });
  // A file is named after `--`: the tool opens it, this process neither reads nor pipes its bytes.
  const args = 'file' in input ? [...argsFor(options), '--', input.file] : argsFor(options);
  // Loaded on first use: gzip and stored data never need it (nor does a bin's start-up).
  const { execa } = await import('execa');
  const child = execa(tool.path, args, {
    stdin: 'chunks' in input ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    encoding: 'buffer',
  });
  if (options.priority !== undefined && child.pid !== undefined) {
    try {
      setPriority(child.pid, options.priority);
    } catch {
      // Gone already, or not allowed: it decodes at the default priority.
    }
  }
  let logTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    logTail = (logTail + chunk.toString()).slice(-2000);
  });
  const feeding = 'chunks' in input ? feed(input.chunks, child.stdin!) : nothingToFeed;
  let finished = false;
  try {
    for await (const chunk of child.stdout!) yield chunk as Buffer;
    const { failed } = await feeding.settled();
    if (failed) throw failed.error;
    const result = await child;
    finished = true;
    if (result.exitCode !== 0) {
      const status =
        result.exitCode === undefined
          ? `was killed (${result.signal ?? 'no exit code'})`
          : `exited with ${result.exitCode}`;
      throw new DecompressError(compressor, `${tool.name} ${args.join(' ')} ${status}: ${logTail.trim()}`, {
        origin: options.origin,
        command: [tool.path, ...args],
        exitCode: result.exitCode,
        logTail: logTail.trim(),
      });
    }
  } finally {
    if (!finished) {
      child.kill('SIGKILL');
      await child;
      await feeding.settled();
    }
  }
}

const nothingToFeed = { settled: async () => ({ failed: undefined }) };

async function closeSource(source: ByteChunks): Promise<void> {
  // A stream's iterator only destroys it once iteration has begun: destroy the stream itself.
  const stream = source as Partial<{ destroy(): void }>;
  if (typeof stream.destroy === 'function') {
    stream.destroy();
    return;
  }
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  await iterator.return?.();
}

/**
 * Writes `source` into `target` (waiting for 'drain' when it is full) and ends it. A source error
 * destroys the target, so its reader ends; a target that goes away (the tool exited: EPIPE) stops
 * the feeding quietly, since the tool reports why through its exit status. `settled()` tells
 * whether the source failed.
 */
function feed(
  source: ByteChunks,
  target: Writable,
): { settled(): Promise<{ failed: { error: unknown } | undefined }> } {
  // Errors of the target surface through its reader (the tool's exit status, zlib's error event).
  target.on('error', () => undefined);
  const run = (async () => {
    for await (const chunk of source) {
      if (target.destroyed || target.writableEnded) return;
      if (!target.write(chunk)) {
        await new Promise<void>((resume) => {
          const settle = () => {
            target.off('drain', settle);
            target.off('close', settle);
            resume();
          };
          target.on('drain', settle);
          target.on('close', settle);
        });
      }
    }
    if (!target.destroyed) target.end();
  })().then(
    () => ({ failed: undefined }),
    (error: unknown) => {
      target.destroy();
      return { failed: { error } };
    },
  );
  return { settled: () => run };
}
