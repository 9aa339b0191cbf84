import { PassThrough, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Most console text kept in memory for matching and replay; the log file always has everything. */
const MAX_TRANSCRIPT = 8 * 1024 * 1024;
const MAX_LINES = 50_000;

export interface MatchOptions {
  /**
   * Let a RegExp match in the unfinished last line: for a prompt, whose line ends only after the
   * answer is typed. Only for patterns whose match cannot grow with more text (end them with `$`
   * and the `m` flag, or with a literal). Without it a RegExp sees complete lines only, so a capture
   * never ends at a chunk boundary. Strings always match as soon as the whole text is there.
   */
  unfinishedLine?: boolean;
}

export interface ConsoleMatch {
  /** The matched text. */
  match: string;
  /** Capture groups, for a RegExp pattern. */
  groups: readonly (string | undefined)[];
  /** When the end of the match arrived (`performance.now()` time). */
  at: number;
}

/**
 * The guest's serial console as received: a transcript for expect-style matching (a cursor moves
 * past each match, so text printed before `waitFor` was called still counts), complete lines for
 * iteration, raw bytes for streams. Independent of QEMU so it can be tested alone.
 */
export class SerialConsole {
  #decoder = new StringDecoder('utf8');
  #transcript = '';
  /** Offset of #transcript[0] in the whole console output, and of the match cursor. */
  #dropped = 0;
  #cursor = 0;
  #lines: string[] = [];
  #droppedLines = 0;
  #partial = '';
  #raw: Buffer[] = [];
  #rawBytes = 0;
  #ended = false;
  /** Arrival times: the console offset each chunk ended at, and when it came. */
  #arrivals: { end: number; at: number }[] = [];
  #watchers = new Set<() => void>();
  #streams = new Set<PassThrough>();

  /** Feeds bytes read from the serial port. */
  push(chunk: Buffer): void {
    if (this.#ended) return;
    this.#keepRaw(chunk);
    for (const stream of this.#streams) stream.write(chunk);
    const text = this.#decoder.write(chunk);
    this.#append(text);
  }

  /** The serial port closed (QEMU exited). */
  end(): void {
    if (this.#ended) return;
    this.#append(this.#decoder.end());
    if (this.#partial) this.#pushLine(this.#partial);
    this.#partial = '';
    this.#ended = true;
    for (const stream of this.#streams) stream.end();
    this.#notify();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The last `count` lines, including an unfinished last line (a prompt). */
  lastLines(count = 20): string[] {
    const lines = this.#lines.slice(-count);
    if (this.#partial) lines.push(this.#partial.replace(/\r+$/, ''));
    return lines.slice(-count);
  }

  /**
   * Looks for `pattern` in the text after the cursor; on a match, moves the cursor past it.
   * A RegExp is used without its `g`/`y` flags, and only on complete lines (see {@link MatchOptions}).
   */
  take(pattern: string | RegExp, options: MatchOptions = {}): ConsoleMatch | undefined {
    const start = Math.max(0, this.#cursor - this.#dropped);
    const found = this.#search(pattern, start, options);
    if (!found) return undefined;
    this.#cursor = this.#dropped + found.end;
    return found.match;
  }

  /**
   * The first match of `pattern` in the kept transcript, from the start of the boot, and when it
   * arrived; the match cursor is left where it is (for boot milestones, looked up afterwards).
   */
  firstMatch(pattern: string | RegExp, options: MatchOptions = {}): ConsoleMatch | undefined {
    return this.#search(pattern, 0, options)?.match;
  }

  /** Calls `watcher` after each new piece of output and at the end; returns an unsubscribe function. */
  watch(watcher: () => void): () => void {
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  /** A readable byte stream of the console: everything so far (as much as is kept), then live output. */
  stream(): Readable {
    const stream = new PassThrough();
    for (const chunk of this.#raw) stream.write(chunk);
    if (this.#ended) stream.end();
    else {
      this.#streams.add(stream);
      stream.on('close', () => this.#streams.delete(stream));
    }
    return stream;
  }

  /** Every complete console line from the start (as much as is kept), then live lines until QEMU exits. */
  async *lines(): AsyncGenerator<string, void, undefined> {
    let next = this.#droppedLines;
    for (;;) {
      if (next < this.#droppedLines) next = this.#droppedLines;
      while (next - this.#droppedLines < this.#lines.length) {
        yield this.#lines[next - this.#droppedLines] as string;
        next++;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        const off = this.watch(() => (off(), resolve()));
      });
    }
  }

  #append(text: string): void {
    if (!text) return;
    this.#transcript += text;
    this.#arrivals.push({ end: this.#dropped + this.#transcript.length, at: performance.now() });
    if (this.#transcript.length > MAX_TRANSCRIPT) {
      const cut = this.#transcript.length - MAX_TRANSCRIPT / 2;
      this.#transcript = this.#transcript.slice(cut);
      this.#dropped += cut;
      this.#arrivals = this.#arrivals.filter((a) => a.end > this.#dropped);
    }
    const pieces = (this.#partial + text).split('\n');
    this.#partial = pieces.pop() ?? '';
    for (const line of pieces) this.#pushLine(line);
    this.#notify();
  }

  /** The first match at or after transcript index `from`, and the transcript index its end. */
  #search(
    pattern: string | RegExp,
    from: number,
    options: MatchOptions,
  ): { match: ConsoleMatch; end: number } | undefined {
    // A literal is either wholly there or not; a RegExp match could still grow with the next chunk
    // (`(\S+)` seeing `6` of `6.1.0`), so it sees the unfinished last line only when told to.
    const whole = typeof pattern === 'string' || options.unfinishedLine === true || this.#ended;
    const limit = whole ? this.#transcript.length : this.#transcript.lastIndexOf('\n') + 1;
    if (limit <= from) return undefined;
    const text = this.#transcript.slice(from, limit);
    let index: number;
    let match: string;
    let groups: (string | undefined)[] = [];
    if (typeof pattern === 'string') {
      index = text.indexOf(pattern);
      match = pattern;
    } else {
      const result = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(text);
      index = result ? result.index : -1;
      match = result?.[0] ?? '';
      groups = result ? result.slice(1) : [];
    }
    if (index < 0) return undefined;
    const end = from + index + match.length;
    return { match: { match, groups, at: this.#arrivalOf(this.#dropped + end) }, end };
  }

  #arrivalOf(offset: number): number {
    let low = 0;
    let high = this.#arrivals.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.#arrivals[mid] as { end: number }).end >= offset) high = mid;
      else low = mid + 1;
    }
    return this.#arrivals[low]?.at ?? performance.now();
  }

  #pushLine(line: string): void {
    this.#lines.push(line.replace(/\r+$/, ''));
    if (this.#lines.length > MAX_LINES) {
      const cut = this.#lines.length - MAX_LINES / 2;
      this.#lines.splice(0, cut);
      this.#droppedLines += cut;
    }
  }

  #keepRaw(chunk: Buffer): void {
    this.#raw.push(chunk);
    this.#rawBytes += chunk.length;
    while (this.#rawBytes > MAX_TRANSCRIPT && this.#raw.length > 1)
      this.#rawBytes -= (this.#raw.shift() as Buffer).length;
  }

  #notify(): void {
    for (const watcher of [...this.#watchers]) watcher();
  }
}
