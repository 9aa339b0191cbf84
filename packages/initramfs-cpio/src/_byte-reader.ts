/** Pull-based reader over a chunk stream: exact reads, skips and peeks without copying the whole input. */
export class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes consumed so far. */
  offset = 0;

  /** `total`: the input's length when known (a buffer, a regular file), to reject impossible sizes early. */
  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly total?: number,
  ) {}

  /** Bytes left in the input, or undefined when its length is not known (a stream, decompressed data). */
  remaining(): number | undefined {
    return this.total === undefined ? undefined : this.total - this.offset;
  }

  /** Makes at least `n` bytes available if the input has them; returns how many are available. */
  private async fill(n: number): Promise<number> {
    while (this.buffered < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else if (next.value.length) {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered;
  }

  /** Up to `n` bytes without consuming them (fewer only at the end of the input). */
  async peek(n: number): Promise<Buffer> {
    await this.fill(n);
    const joined = this.chunks.length > 1 ? this.coalesce() : (this.chunks[0] ?? Buffer.alloc(0));
    return joined.subarray(0, n);
  }

  /** Exactly `n` bytes, or undefined when the input ends first. */
  async read(n: number): Promise<Buffer | undefined> {
    if ((await this.fill(n)) < n) return undefined;
    const joined = this.chunks.length > 1 ? this.coalesce() : (this.chunks[0] as Buffer);
    const out = joined.subarray(0, n);
    this.consume(n, joined);
    return out;
  }

  /** Up to `max` bytes (at least 1 unless the input ended), for streaming bodies. */
  async readSome(max: number): Promise<Buffer | undefined> {
    if ((await this.fill(1)) === 0) return undefined;
    const first = this.chunks[0] as Buffer;
    const out = first.subarray(0, Math.min(max, first.length));
    this.consume(out.length, first);
    return out;
  }

  /** Skips `n` bytes; false when the input ends first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      const part = await this.readSome(left);
      if (!part) return false;
      left -= part.length;
    }
    return true;
  }

  /** The unread rest of the input, as a chunk stream. */
  async *rest(): AsyncGenerator<Buffer> {
    for (const chunk of this.chunks.splice(0)) yield chunk;
    this.buffered = 0;
    if (this.done) return;
    for (;;) {
      const next = await this.source.next();
      if (next.done) return;
      yield next.value;
    }
  }

  private coalesce(): Buffer {
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined;
  }

  private consume(n: number, head: Buffer): void {
    this.offset += n;
    this.buffered -= n;
    if (n === head.length) this.chunks.shift();
    else this.chunks[0] = head.subarray(n);
  }
}
