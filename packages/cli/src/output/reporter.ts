import { createWriteStream, type WriteStream } from 'node:fs';

/** How the CLI talks: quiet (default), one line per stage, a live line on a TTY, or JSON lines. */
export type OutputMode = 'quiet' | 'lines' | 'tty' | 'json';

export type ReporterEvent =
  | { type: 'stage-start'; stage: string; key?: string }
  | { type: 'stage-end'; stage: string; cached: boolean; ms: number; detail?: string; failed?: boolean }
  | {
      type: 'progress';
      stage: string;
      percent?: number;
      done?: number;
      total?: number;
      bytes?: number;
      totalBytes?: number;
      message?: string;
    }
  | { type: 'log'; stage?: string; line: string }
  | { type: 'result'; [key: string]: unknown };

/** Writes stage events for humans or machines; tool logs go to a file the errors point to. */
export class Reporter {
  readonly mode: OutputMode;
  readonly verbose: boolean;
  private readonly out: NodeJS.WritableStream;
  private log: WriteStream | undefined;
  private live = false;
  /** The stage the live line shows, its start and its last progress, redrawn every 250 ms. */
  private current:
    | { stage: string; started: number; progress?: Extract<ReporterEvent, { type: 'progress' }> }
    | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private lastDraw = 0;
  private readonly columns: number;

  constructor(options: {
    json?: boolean;
    verbose?: boolean;
    quiet?: boolean;
    out?: NodeJS.WritableStream;
    isTTY?: boolean;
  }) {
    this.out = options.out ?? process.stderr;
    this.verbose = options.verbose ?? false;
    const tty = options.isTTY ?? Boolean((this.out as { isTTY?: boolean }).isTTY);
    this.mode = options.json ? 'json' : options.quiet ? 'quiet' : tty ? 'tty' : 'lines';
    this.columns = Math.max(40, Math.min(120, (this.out as { columns?: number }).columns ?? 80));
  }

  /** Sends tool logs to this file from now on. */
  logTo(file: string): void {
    this.log?.end();
    this.log = createWriteStream(file, { flags: 'a' });
  }

  emit(event: ReporterEvent): void {
    if (event.type === 'log') {
      this.log?.write(`${event.line}\n`);
      if (this.mode === 'json') this.json(event);
      else if (this.verbose) {
        // Above the TTY's live line, which the ticker draws again.
        if (this.live) this.write('\r\x1b[2K');
        this.write(`${event.stage ? `[${event.stage}] ` : ''}${event.line}\n`);
        this.live = false;
      }
      return;
    }
    if (this.mode === 'json') {
      this.json(event);
      return;
    }
    if (this.mode === 'quiet' || event.type === 'result') return;
    if (event.type === 'stage-start') {
      if (this.mode === 'tty') this.startLive(event.stage);
    } else if (event.type === 'progress') {
      if (this.mode === 'tty' && this.current?.stage === event.stage) {
        this.current.progress = event;
        // Thousands of unpack events a second: redraw at most every 100 ms (the ticker catches up).
        if (performance.now() - this.lastDraw >= 100) this.drawLive();
      }
    } else if (event.type === 'stage-end') {
      const text = `${event.failed ? '✗' : event.cached ? '=' : '✓'} ${event.stage.padEnd(11)} ${event.cached ? 'cached' : formatMs(event.ms)}${event.detail ? `  ${event.detail}` : ''}`;
      this.endLive();
      this.write(`${text}\n`);
    }
  }

  /** A line for the user regardless of mode (except JSON, which gets it as a message event). */
  say(text: string): void {
    if (this.mode === 'json') {
      this.json({ type: 'message', text });
      return;
    }
    this.endLive();
    this.write(`${text}\n`);
  }

  close(): Promise<void> {
    this.endLive();
    const log = this.log;
    this.log = undefined;
    return new Promise((resolve) => (log ? log.end(resolve) : resolve()));
  }

  private json(event: object): void {
    this.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  }

  private startLive(stage: string): void {
    this.current = { stage, started: performance.now() };
    this.ticker ??= setInterval(() => this.drawLive(), 250).unref();
    this.drawLive();
  }

  private drawLive(): void {
    if (!this.current) return;
    const { stage, started, progress } = this.current;
    this.write(`\r\x1b[2K${progressLine(stage, performance.now() - started, progress, this.columns - 1)}`);
    this.live = true;
    this.lastDraw = performance.now();
  }

  private endLive(): void {
    if (this.live) this.write('\r\x1b[2K');
    this.live = false;
    this.current = undefined;
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private write(text: string): void {
    this.out.write(text);
  }
}

const BAR_WIDTH = 24;

/**
 * The TTY's live line: stage, a bar when the fraction done is known (percent, items or bytes),
 * counts, bytes, elapsed time and what is being worked on, cut to the terminal width.
 */
export function progressLine(
  stage: string,
  elapsedMs: number,
  e: Extract<ReporterEvent, { type: 'progress' }> | undefined,
  width = 100,
): string {
  const fraction =
    e?.percent !== undefined
      ? e.percent / 100
      : e?.totalBytes
        ? (e.bytes ?? 0) / e.totalBytes
        : e?.total
          ? (e.done ?? 0) / e.total
          : undefined;
  const parts = [`… ${stage.padEnd(11)}`];
  if (fraction !== undefined) {
    const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
    parts.push(
      `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`,
    );
  }
  if (e?.done !== undefined) parts.push(e.total === undefined ? `${e.done}` : `${e.done}/${e.total}`);
  if (e?.bytes !== undefined) parts.push(e.totalBytes ? `${mib(e.bytes)}/${mib(e.totalBytes)}` : mib(e.bytes));
  parts.push(formatMs(elapsedMs));
  if (e?.message) parts.push(e.message);
  const line = parts.join(' ');
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
