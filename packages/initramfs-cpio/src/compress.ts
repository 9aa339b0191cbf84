import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { execa } from 'execa';
import { findTool, knownTools, ToolFailedError } from '@distroforge/core';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz';

/** Default levels: small output for a file the kernel decompresses once per boot. */
export const defaultLevels: Record<Exclude<Compression, 'none'>, number> = { gzip: 9, zstd: 19, xz: 6 };

/**
 * Compresses a byte stream. gzip runs in-process (Node's zlib: no name, mtime 0, fixed OS byte);
 * zstd and xz stream through the tools with single-threaded, fixed-parameter flags so the output
 * depends only on the input. xz uses the CRC32 check and 1 MiB dictionary the kernel expects.
 *
 * Input chunks may be views into a buffer the producer reuses: each is fully consumed (written
 * callback received) before the next is requested. With `none`, chunks are passed through as is.
 */
export async function* compressStream(
  source: AsyncIterable<Buffer>,
  method: Compression,
  level?: number,
): AsyncGenerator<Buffer> {
  if (method === 'none') {
    yield* source;
    return;
  }
  const lvl = level ?? defaultLevels[method];
  if (method === 'gzip') {
    const gzip = createGzip({ level: lvl });
    const fed = feed(source, gzip);
    try {
      for await (const chunk of gzip) yield chunk as Buffer;
      await fed;
    } finally {
      gzip.destroy();
    }
    return;
  }
  const tool = await findTool(method === 'zstd' ? knownTools.zstd : knownTools.xz);
  const args =
    method === 'zstd'
      ? ['-q', '-c', `-${lvl}`, ...(lvl > 19 ? ['--ultra'] : []), '-T1', '--no-progress']
      : ['-q', '-c', '-T1', '--check=crc32', `--lzma2=preset=${lvl},dict=1MiB`];
  const child = execa(tool.path, args, {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: { stdout: false, stderr: true },
    reject: false,
    encoding: 'buffer',
  });
  const fed = feed(source, child.stdin as Writable);
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) yield chunk;
    // The input's own errors (a bad entry) win over the tool's reaction to a cut-off stdin.
    await fed;
    const result = await child;
    if (result.exitCode !== 0) {
      throw new ToolFailedError(
        [tool.path, ...args],
        result.exitCode,
        Buffer.from(result.stderr ?? '')
          .toString()
          .slice(-2000),
      );
    }
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/**
 * Writes every chunk and waits for its callback before pulling the next (so reused buffers are
 * safe), then ends the stream. A failing source destroys the target, which ends its reader too.
 */
function feed(source: AsyncIterable<Buffer>, target: Writable): Promise<void> {
  const run = async () => {
    for await (const chunk of source) {
      await new Promise<void>((resolve, reject) => target.write(chunk, (error) => (error ? reject(error) : resolve())));
    }
    await new Promise<void>((resolve) => target.end(resolve));
  };
  const done = run();
  done.catch((error: unknown) => target.destroy(error as Error));
  return done;
}
