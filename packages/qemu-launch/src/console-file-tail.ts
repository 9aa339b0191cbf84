import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** How often the file is read when no change notice came (a notice can be missed on some file systems). */
const POLL_MS = 200;
const READ_SIZE = 64 * 1024;

/**
 * Follows a file that another process appends to, handing each new chunk to `onChunk` in order.
 *
 * QEMU writes the serial console to a regular file rather than to a pipe: a write to a file never
 * waits for this process. Through a pipe, a Node event loop busy for a second let the pipe fill,
 * the guest's UART timed out and the kernel's console lost bytes ("Secure boo enabled").
 */
export class ConsoleFileTail {
  readonly #handle: FileHandle;
  readonly #onChunk: (chunk: Buffer) => void;
  readonly #buffer = Buffer.allocUnsafe(READ_SIZE);
  #position = 0;
  #reading: Promise<void> | undefined;
  #again = false;
  #failure: Error | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(handle: FileHandle, onChunk: (chunk: Buffer) => void) {
    this.#handle = handle;
    this.#onChunk = onChunk;
  }

  /** Starts following `path` from its first byte. */
  static async follow(path: string, onChunk: (chunk: Buffer) => void): Promise<ConsoleFileTail> {
    const tail = new ConsoleFileTail(await open(path, 'r'), onChunk);
    try {
      tail.#watcher = watch(path, { persistent: false }, () => tail.#poke());
      tail.#watcher.on('error', () => {}); // the poll below still reads
    } catch {
      // No change notices for this file system: the poll alone reads it.
    }
    tail.#timer = setInterval(() => tail.#poke(), POLL_MS);
    tail.#timer.unref();
    tail.#poke();
    return tail;
  }

  /**
   * Reads what is left (the writer has exited) and stops following. Resolves with the first read
   * failure, if any, so the caller can report it beside the exit; never rejects.
   */
  async finish(): Promise<Error | undefined> {
    this.#watcher?.close();
    clearInterval(this.#timer);
    await this.#reading;
    if (this.#failure === undefined) await this.#drain().catch((error: Error) => (this.#failure ??= error));
    await this.#handle.close().catch(() => {});
    return this.#failure;
  }

  /** Reads to the current end, once at a time; a notice during a read reads again after it. */
  #poke(): void {
    if (this.#failure !== undefined) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = (async () => {
      do {
        this.#again = false;
        await this.#drain();
      } while (this.#again);
    })()
      .catch((error: Error) => {
        this.#failure ??= error;
      })
      .finally(() => {
        this.#reading = undefined;
      });
  }

  async #drain(): Promise<void> {
    for (;;) {
      const { bytesRead } = await this.#handle.read(this.#buffer, 0, READ_SIZE, this.#position);
      if (bytesRead === 0) return;
      this.#position += bytesRead;
      this.#onChunk(Buffer.from(this.#buffer.subarray(0, bytesRead)));
    }
  }
}
