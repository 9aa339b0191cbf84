import { Worker } from 'node:worker_threads';
import { CpioSourceChangedError } from './errors.js';

/**
 * The reader threads' code, evaluated as a CommonJS script (kept a string so the package needs no
 * second entry point). A batch is its paths joined by NULs and, per path, `size, file offset, length,
 * buffer offset` (compact: cloning one string and one Float64Array is cheap), read with synchronous
 * open/pread/close into the shared output buffer, then acknowledged once.
 */
const READER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
parentPort.on('message', ({ id, buffer, paths, numbers }) => {
  const target = new Uint8Array(buffer);
  try {
    const names = paths.split('\\0');
    for (let i = 0; i < names.length; i++) {
      const path = names[i], size = numbers[4 * i], offset = numbers[4 * i + 1], length = numbers[4 * i + 2], at = numbers[4 * i + 3];
      const fd = openSync(path, 'r');
      try {
        for (let done = 0; done < length; ) {
          const n = readSync(fd, target, at + done, length - done, offset + done);
          if (n === 0) return parentPort.postMessage({ id, shrank: { path, size, read: offset + done } });
          done += n;
        }
      } finally {
        closeSync(fd);
      }
    }
    parentPort.postMessage({ id });
  } catch (error) {
    const { message, code, errno, syscall, path } = error;
    parentPort.postMessage({ id, error: { message, code, errno, syscall, path } });
  }
});
`;

interface Reply {
  id: number;
  shrank?: { path: string; size: number; read: number };
  error?: { message: string; code?: string; errno?: number; syscall?: string; path?: string };
}

/**
 * Reads file contents into shared output buffers on a few threads, a batch (one output chunk) at a
 * time. Moving open/read/close off the main thread lets them run while it encodes the next chunk's
 * headers and the previous chunk is written: on /usr/share they were a third of the packing time.
 * Workers start on the first batch, so archives of in-memory data never pay for them.
 * @internal
 */
export class FileReaderPool {
  readonly #threads: number;
  readonly #workers: Worker[] = [];
  readonly #waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  #next = 0;

  constructor(threads: number) {
    this.#threads = Math.max(1, threads);
  }

  /**
   * Reads a batch: for each of `paths`, four `numbers`: the size the header announced (for the
   * error when the file turns out shorter), file offset, length, and offset in `buffer`.
   */
  read(buffer: SharedArrayBuffer, paths: string[], numbers: number[]): Promise<void> {
    const id = this.#next++;
    const worker = this.#worker(id % this.#threads);
    // Referenced only while it has work: an abandoned encoder must not keep the process alive.
    worker.ref();
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ id, buffer, paths: paths.join('\0'), numbers: Float64Array.from(numbers) });
    });
  }

  /** Stops the threads (pending batches are abandoned). */
  async close(): Promise<void> {
    await Promise.all(this.#workers.splice(0).map((worker) => worker.terminate()));
  }

  #worker(index: number): Worker {
    const existing = this.#workers[index];
    if (existing) return existing;
    const worker = new Worker(READER_SOURCE, { eval: true, stdout: false, stderr: false });
    worker.on('message', (reply: Reply) => this.#settle(reply));
    worker.on('error', (error) => this.#failAll(error));
    this.#workers[index] = worker;
    return worker;
  }

  #settle(reply: Reply): void {
    const waiting = this.#waiting.get(reply.id);
    if (!waiting) return;
    this.#waiting.delete(reply.id);
    if (this.#waiting.size === 0) for (const worker of this.#workers) worker.unref();
    if (reply.shrank) {
      const { path, size, read } = reply.shrank;
      waiting.reject(new CpioSourceChangedError(path, size, read));
    } else if (reply.error) {
      const { message, ...details } = reply.error;
      waiting.reject(Object.assign(new Error(message), details));
    } else {
      waiting.resolve();
    }
  }

  #failAll(error: Error): void {
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
