import { findTool, knownTools, ToolFailedError } from '@distroforge/core';
import { execa } from 'execa';
import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Compressions used by Debian indexes and `.deb` members. */
export type Compression = 'xz' | 'zst' | 'gz' | 'none';

/** The compression a file name implies. */
export function compressionOf(name: string): Compression {
  if (name.endsWith('.xz')) return 'xz';
  if (name.endsWith('.zst')) return 'zst';
  if (name.endsWith('.gz')) return 'gz';
  return 'none';
}

/**
 * Streams `input` through a decompressor into `consume`. gzip uses Node's zlib; xz and zstd stream
 * through the `xz`/`zstd` tools: Node 20 has no zstd, and the pure-JS xz decoders on npm are several
 * times slower than xz-utils (which every Debian-like host has, dpkg depends on it).
 */
export async function withDecompressed<T>(
  compression: Compression,
  input: Readable,
  consume: (stream: Readable) => Promise<T>,
  origin: string,
): Promise<T> {
  if (compression === 'none') return consume(input);
  if (compression === 'gz') {
    const gunzip = createGunzip();
    const out = new PassThrough();
    const piping = pipeline(input, gunzip, out);
    // The consumer's error wins: when it stops early, the pipeline only fails as a consequence.
    piping.catch(() => undefined);
    const result = await consume(out);
    await piping;
    return result;
  }
  const tool = await findTool(compression === 'xz' ? knownTools.xz : knownTools.zstd);
  const args = compression === 'xz' ? ['-dc', '-T1'] : ['-dcq'];
  const child = execa(tool.path, args, { input, stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false, stderr: true }, reject: false });
  let result: T;
  let done: Awaited<typeof child>;
  try {
    [result, done] = await Promise.all([consume(child.stdout), child]);
  } catch (error) {
    child.kill();
    throw error;
  }
  if (done.exitCode !== 0) {
    throw new ToolFailedError([tool.path, ...args], done.exitCode, String(done.stderr ?? '').slice(-2000), { path: origin });
  }
  return result;
}

/** Collects a stream into one buffer. */
export async function streamToBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
