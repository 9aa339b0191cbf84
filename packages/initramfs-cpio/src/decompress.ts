import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import { findTool, knownTools } from '@distroforge/core';
import type { Compression } from './compress.js';
import { CpioCorruptError } from './errors.js';

/** Recognises a compressed stream by its magic bytes. */
export function detectCompression(head: Buffer): Exclude<Compression, 'none'> | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return undefined;
}

/** Decompresses a stream; a damaged stream is an `ERR_CPIO_CORRUPT` naming the method. */
export async function* decompressStream(source: AsyncIterable<Buffer>, method: Exclude<Compression, 'none'>, name: string): AsyncGenerator<Buffer> {
  const corrupt = (detail: string, cause?: unknown) =>
    new CpioCorruptError(`${name}: damaged ${method} data: ${detail}`, { path: name, value: method, cause });
  if (method === 'gzip') {
    const gunzip = createGunzip();
    const fed = pipeline(Readable.from(source), gunzip);
    fed.catch(() => undefined);
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
      await fed;
    } catch (error) {
      throw isOurs(error) ? error : corrupt((error as Error).message, error);
    } finally {
      gunzip.destroy();
    }
    return;
  }
  const tool = await findTool(method === 'zstd' ? knownTools.zstd : knownTools.xz);
  const args = ['-d', '-c', '-q'];
  const child = execa(tool.path, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false, stderr: true }, reject: false, encoding: 'buffer' });
  let feedError: unknown;
  const fed = pipeline(Readable.from(source), child.stdin as NodeJS.WritableStream).catch((error: unknown) => {
    feedError = error;
  });
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) yield chunk;
    await fed;
    const result = await child;
    if (feedError && isOurs(feedError)) throw feedError;
    if (result.exitCode !== 0) throw corrupt(Buffer.from(result.stderr ?? '').toString().trim().slice(-500) || `${tool.name} exited with ${result.exitCode}`);
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

function isOurs(error: unknown): boolean {
  return typeof (error as { code?: unknown })?.code === 'string' && String((error as { code: string }).code).startsWith('ERR_CPIO');
}
