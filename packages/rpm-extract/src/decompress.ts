import { findTool, knownTools, type ToolSpec } from '@distroforge/core';
import { Readable, type TransformOptions } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import type { ByteReader } from './byte-reader.js';
import { RpmError, rpmError } from './errors.js';

/** Payload compression formats, recognised by their magic bytes rather than trusted from the header. */
export type PayloadCompression = 'gzip' | 'bzip2' | 'xz' | 'lzma' | 'zstd' | 'identity';

const bzip2Tool: ToolSpec = { names: ['bzip2'], install: 'apt-get install bzip2' };
const externalTools: Record<Exclude<PayloadCompression, 'gzip' | 'identity'>, { spec: ToolSpec; args: string[] }> = {
  bzip2: { spec: bzip2Tool, args: ['-dc'] },
  xz: { spec: knownTools.xz, args: ['-dc', '--single-stream'] },
  lzma: { spec: knownTools.xz, args: ['-dc', '--format=lzma'] },
  zstd: { spec: knownTools.zstd, args: ['-dc', '-q'] },
};

/** Tells the compression of a payload from its first bytes; undefined when unknown. */
export function sniffCompression(head: Buffer): PayloadCompression | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (head.subarray(0, 5).toString('latin1') === '07070') return 'identity';
  // LZMA-alone: properties byte 0x5d (lc=3 lp=0 pb=2, the only one rpm writes) then a dictionary size.
  if (head[0] === 0x5d && head[1] === 0x00 && head[2] === 0x00) return 'lzma';
  return undefined;
}

/**
 * Streams the decompressed payload. gzip is decoded by Node's zlib; xz, lzma, zstd and bzip2 by
 * the system's xz/zstd/bzip2 tools through pipes: native decoders are several times faster than
 * any JavaScript port, stream in constant memory, and Node 20 has no zstd.
 */
export async function* decompressPayload(reader: ByteReader, declared: string | undefined): AsyncGenerator<Buffer> {
  const head = await reader.peek(6);
  if (head.length === 0) throw rpmError('ERR_RPM_TRUNCATED', 'the package has no payload', { value: declared });
  const compression = sniffCompression(head);
  if (compression === undefined) {
    throw rpmError('ERR_RPM_UNKNOWN_COMPRESSOR', `unknown payload compression (header says ${declared ?? 'nothing'}, payload starts with ${head.toString('hex')})`, {
      value: declared ?? head.toString('hex'),
    });
  }
  if (compression === 'identity') {
    yield* reader.rest();
    return;
  }
  if (compression === 'gzip') {
    yield* gunzip(reader);
    return;
  }
  yield* throughTool(reader, compression);
}

// 1 MiB output chunks: a quarter of the thread-pool round trips (and of the large-file writes) of
// 256 KiB. Up to 4 MiB decompressed ahead of the reader, so inflation on the thread pool overlaps
// parsing and writing instead of waiting for each chunk to be taken; memory stays bounded.
const gunzipChunkSize = 1 << 20;
const gunzipReadAhead = 4 << 20;

async function* gunzip(reader: ByteReader): AsyncGenerator<Buffer> {
  // zlib streams pass stream options on to their Transform (Node's types list only the zlib ones).
  const options: ZlibOptions & TransformOptions = { chunkSize: gunzipChunkSize, readableHighWaterMark: gunzipReadAhead };
  const inflater = createGunzip(options);
  // Fed directly (write + 'drain') rather than through Readable.from and pipeline: two stream layers less per chunk.
  let feedError: unknown;
  const feeding = (async () => {
    for await (const chunk of reader.rest()) {
      if (inflater.destroyed) return;
      if (!inflater.write(chunk)) await new Promise<void>((resume) => {
        const settle = () => {
          inflater.off('drain', settle);
          inflater.off('close', settle);
          resume();
        };
        inflater.on('drain', settle);
        inflater.on('close', settle);
      });
    }
    if (!inflater.destroyed) inflater.end();
  })().catch((error: unknown) => {
    feedError = error;
    inflater.destroy();
  });
  try {
    for await (const chunk of inflater) yield chunk as Buffer;
  } catch (cause) {
    if (feedError) throw readError(feedError);
    throw payloadError('gzip', (cause as Error).message, cause);
  } finally {
    inflater.destroy();
    await feeding;
  }
  if (feedError) throw readError(feedError);
}

/** A failure to read the package itself (the source stream failed), as opposed to a corrupt payload. */
function readError(cause: unknown) {
  if (cause instanceof RpmError) return cause;
  return rpmError('ERR_RPM_READ', `cannot read the package payload: ${(cause as Error).message}`, { cause });
}

async function* throughTool(reader: ByteReader, compression: keyof typeof externalTools): AsyncGenerator<Buffer> {
  const { spec, args } = externalTools[compression];
  const tool = await findTool(spec);
  // Loaded on first use: gzip and uncompressed payloads (and header reads) never need it.
  const { execa } = await import('execa');
  const child = execa(tool.path, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, reject: false, encoding: 'buffer' });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  let feedError: unknown;
  const feeding = pipeline(Readable.from(reader.rest(), { objectMode: false }), child.stdin!).catch((error: unknown) => {
    // EPIPE means the tool stopped reading: it reports why through its exit status.
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') feedError = error;
  });
  let finished = false;
  try {
    for await (const chunk of child.stdout!) yield chunk as Buffer;
    await feeding;
    if (feedError) throw feedError;
    const result = await child;
    finished = true;
    if (result.exitCode !== 0) throw payloadError(compression, `${tool.name} ${args.join(' ')} exited with ${result.exitCode}: ${stderr.trim()}`);
  } finally {
    if (!finished) {
      child.kill('SIGKILL');
      await child;
      await feeding;
    }
  }
}

function payloadError(compression: string, detail: string, cause?: unknown) {
  const truncated = /unexpected end|truncated|premature end|incomplete/i.test(detail);
  return rpmError(truncated ? 'ERR_RPM_TRUNCATED' : 'ERR_RPM_BAD_PAYLOAD', `cannot decompress the ${compression} payload: ${detail}`, { value: compression, cause });
}
