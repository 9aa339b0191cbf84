import type { Hash } from 'node:crypto';
import type { CpioEntry } from './cpio-reader.js';
import { open } from 'node:fs/promises';
import { writeFlags, type SmallFileWriter } from './small-file-writer.js';
import type { RpmFile } from './types.js';
import { writeError } from './write-error.js';

// Files up to this size are collected in memory and handed to a SmallFileWriter (one open, write,
// fchmod, futimes and close each, off the main thread for large packages). Larger files stream
// with asynchronous positional writes that overlap decompression.
const smallFile = 1 << 20;
const maxWritesInFlight = 4;

/** Writes one regular file's streamed contents with its mode and mtime, feeding `hash` on the way. */
export async function writeRegular(
  abs: string,
  file: RpmFile,
  entry: CpioEntry,
  hash: Hash | undefined,
  preserveMtime: boolean,
  small: SmallFileWriter,
): Promise<void> {
  const mode = file.mode & 0o7777;
  const mtime = preserveMtime ? file.mtime : undefined;
  if (file.size <= smallFile) {
    const whole = entry.bodyNow();
    const chunks: Buffer[] = whole ? [whole] : [];
    if (!whole) for await (const chunk of entry.body) chunks.push(chunk);
    for (const chunk of chunks) hash?.update(chunk);
    const waiting = small.write({ abs, path: file.path, chunks, size: file.size, mode, mtime });
    if (waiting) await waiting;
    return;
  }
  const body = entry.body;
  const handle = await open(abs, writeFlags, 0o600).catch((cause: unknown) => {
    throw writeError(file.path, cause);
  });
  try {
    // Positional writes with a few in flight, so decompression and hashing overlap the disk writes.
    const inFlight = new Set<Promise<unknown>>();
    let position = 0;
    for await (const chunk of body) {
      hash?.update(chunk);
      const write = handle.write(chunk, 0, chunk.length, position).catch((cause: unknown) => {
        throw writeError(file.path, cause);
      });
      position += chunk.length;
      inFlight.add(write);
      void write.then(
        () => inFlight.delete(write),
        () => undefined,
      );
      if (inFlight.size >= maxWritesInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await handle.chmod(mode);
    if (mtime !== undefined) await handle.utimes(mtime, mtime);
  } finally {
    await handle.close();
  }
}
