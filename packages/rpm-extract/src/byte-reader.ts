import { rpmError } from './errors.js';

/**
 * Sequential reader over an async stream of chunks. Reads exact byte counts for the fixed-layout
 * parts (lead, headers, cpio headers) and hands out the rest chunk by chunk without copying, so a
 * payload of any size streams through in constant memory.
 */
export class ByteReader {
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = false;
  /** Bytes consumed so far (handed out by read/skip/chunks). */
  position = 0;
  /** Called with every chunk of bytes as it is consumed (digests over the raw stream). */
  private taps: Array<(chunk: Buffer) => void> = [];

  /**
   * @param length the source's total size when known (a file, a buffer): declared sizes are
   *   checked against it before anything is read.
   */
  constructor(
    source: AsyncIterable<Buffer | Uint8Array | string>,
    private readonly what = 'package',
    readonly length?: number,
  ) {
    const iterator = source[Symbol.asyncIterator]();
    this.chunks = {
      next: async () => {
        const r = await iterator.next();
        if (r.done) return r;
        const value = r.value;
        return {
          done: false,
          value: Buffer.isBuffer(value)
            ? value
            : typeof value === 'string'
              ? Buffer.from(value)
              : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
        };
      },
      return: async () => {
        await iterator.return?.();
        return { done: true, value: undefined };
      },
    };
  }

  /** Registers a function that sees every consumed byte from now on; returns its remover. */
  tap(fn: (chunk: Buffer) => void): () => void {
    this.taps.push(fn);
    return () => {
      this.taps = this.taps.filter((t) => t !== fn);
    };
  }

  private async fill(n: number): Promise<boolean> {
    while (this.pendingBytes < n && !this.done) {
      const r = await this.chunks.next();
      if (r.done) {
        this.done = true;
        break;
      }
      if (r.value.length === 0) continue;
      this.pending.push(r.value);
      this.pendingBytes += r.value.length;
    }
    return this.pendingBytes >= n;
  }

  private consume(n: number): Buffer {
    let out: Buffer;
    const first = this.pending[0];
    if (first !== undefined && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.pending[0]!;
        const take = Math.min(chunk.length, n - filled);
        chunk.copy(out, filled, 0, take);
        filled += take;
        if (take === chunk.length) this.pending.shift();
        else this.pending[0] = chunk.subarray(take);
      }
    }
    this.pendingBytes -= n;
    this.position += n;
    for (const tap of this.taps) tap(out);
    return out;
  }

  /**
   * The next `n` bytes if they are already buffered, else undefined (then use `read`). Saves a
   * promise per small read: archives of thousands of small members are mostly such reads.
   */
  readNow(n: number): Buffer | undefined {
    return this.pendingBytes >= n ? this.consume(n) : undefined;
  }

  /** Reads exactly `n` bytes or throws ERR_RPM_TRUNCATED naming `what`. */
  async read(n: number, what: string): Promise<Buffer> {
    if (!(await this.fill(n))) {
      throw rpmError(
        'ERR_RPM_TRUNCATED',
        `${this.what} is truncated: ${what} needs ${n} bytes at offset ${this.position}, only ${this.pendingBytes} left`,
        {
          value: this.position,
        },
      );
    }
    return this.consume(n);
  }

  /** The next `n` bytes (fewer at the end) without consuming them. */
  async peek(n: number): Promise<Buffer> {
    await this.fill(n);
    const first = this.pending[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.pending).subarray(0, n);
  }

  /** Reads up to `n` bytes; fewer only at the end of the stream. */
  async readUpTo(n: number): Promise<Buffer> {
    await this.fill(n);
    return this.consume(Math.min(n, this.pendingBytes));
  }

  /** Skips exactly `n` bytes (still seen by taps). */
  async skip(n: number, what: string): Promise<void> {
    let left = n;
    for await (const chunk of this.take(n, what)) left -= chunk.length;
    void left;
  }

  /** Yields exactly `n` bytes as chunks (no copies), or throws ERR_RPM_TRUNCATED. */
  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.pendingBytes === 0 && !(await this.fill(1))) {
        throw rpmError(
          'ERR_RPM_TRUNCATED',
          `${this.what} is truncated: ${what} ends ${left} bytes early at offset ${this.position}`,
          {
            value: this.position,
          },
        );
      }
      const first = this.pending[0]!;
      const size = Math.min(first.length, left);
      left -= size;
      yield this.consume(size);
    }
  }

  /** Yields everything that is left, chunk by chunk. */
  async *rest(): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.pendingBytes === 0 && !(await this.fill(1))) return;
      const first = this.pending[0]!;
      yield this.consume(first.length);
    }
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Stops the underlying source (closes the file) without reading further. */
  async close(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.done) {
      this.done = true;
      await this.chunks.return?.();
    }
  }
}
