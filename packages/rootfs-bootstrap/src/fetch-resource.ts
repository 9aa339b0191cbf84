import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { DigestMismatchError, FetchError } from './errors.js';

export interface FetchOptions {
  signal?: AbortSignal;
  /** Per-request timeout in milliseconds (default 120 s). */
  timeoutMs?: number;
  /** Ask caches between here and the origin for a fresh copy (`Cache-Control: no-cache`). */
  fresh?: boolean;
}

/** Fetches a small resource (InRelease) fully into memory. Supports http(s) and file URLs. */
export async function fetchBytes(url: string, options: FetchOptions = {}): Promise<Buffer> {
  if (url.startsWith('file:')) {
    try {
      return await readFile(fileURLToPath(url));
    } catch (cause) {
      throw new FetchError(url, (cause as Error).message, { cause });
    }
  }
  const response = await request(
    url,
    options.fresh ? { headers: { 'cache-control': 'no-cache', pragma: 'no-cache' } } : {},
    options,
  );
  return Buffer.from(await response.arrayBuffer());
}

export interface DownloadOptions extends FetchOptions {
  /** Expected hex SHA-256; the file is renamed into place only when it matches. */
  sha256: string;
  /** Expected size in bytes. */
  size?: number;
  /** Called with the bytes received so far for this file. */
  onBytes?: (received: number) => void;
}

/**
 * Downloads `url` to `dest`, verified. Bytes land in `dest + '.partial'` first; a later call resumes
 * from there (HTTP Range), and a mismatching result is deleted and reported as `DigestMismatchError`.
 */
export async function downloadVerified(url: string, dest: string, options: DownloadOptions): Promise<void> {
  const partial = `${dest}.partial`;
  await mkdir(dirname(dest), { recursive: true });
  let offset = await stat(partial).then(
    (s) => s.size,
    () => 0,
  );
  if (options.size !== undefined && offset > options.size) {
    await rm(partial, { force: true });
    offset = 0;
  }
  const hash = createHash('sha256');
  if (offset > 0) for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
  let received = offset;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      received += chunk.length;
      options.onBytes?.(received);
      callback(null, chunk);
    },
  });
  let body: Readable;
  const append = offset > 0;
  if (url.startsWith('file:')) {
    body = createReadStream(fileURLToPath(url), { start: offset });
    body.on('error', () => undefined);
  } else if (options.size !== undefined && offset === options.size) {
    body = Readable.from([]);
  } else {
    const response = await request(url, offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {}, options);
    if (offset > 0 && response.status !== 206) {
      // The server ignored the range: start over.
      await response.body?.cancel();
      return downloadFresh(url, dest, options);
    }
    body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }
  try {
    await pipeline(body, counter, createWriteStream(partial, { flags: append ? 'a' : 'w' }), {
      signal: options.signal,
    });
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') throw new FetchError(url, 'no such file', { cause });
    throw new FetchError(url, (cause as Error).message, { cause });
  }
  const actual = hash.digest('hex');
  if (actual !== options.sha256 || (options.size !== undefined && received !== options.size)) {
    await rm(partial, { force: true });
    throw new DigestMismatchError(
      `${url} does not match its signed SHA-256`,
      `${options.sha256} (${options.size ?? '?'} bytes)`,
      `${actual} (${received} bytes)`,
      { path: url },
    );
  }
  await rename(partial, dest);
}

async function downloadFresh(url: string, dest: string, options: DownloadOptions): Promise<void> {
  await rm(`${dest}.partial`, { force: true });
  return downloadVerified(url, dest, options);
}

async function request(url: string, init: RequestInit, options: FetchOptions): Promise<Response> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const response = await fetch(url, { ...init, signal, redirect: 'follow' });
      if (response.ok) return response;
      if (response.status === 404 || response.status === 403 || response.status === 410) {
        throw new FetchError(url, `HTTP ${response.status}`);
      }
      lastError = new FetchError(url, `HTTP ${response.status}`);
    } catch (cause) {
      if (cause instanceof FetchError) throw cause;
      if (signal.aborted) throw new FetchError(url, 'aborted or timed out', { cause });
      lastError = new FetchError(url, (cause as Error).message, { cause });
    }
    await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
  }
  throw lastError;
}
