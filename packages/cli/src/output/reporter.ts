import { createWriteStream, type WriteStream } from 'node:fs';

/** How the CLI talks: quiet (default), one line per stage, a live line on a TTY, or JSON lines. */
export type OutputMode = 'quiet' | 'lines' | 'tty' | 'json';

export type ReporterEvent =
  | { type: 'stage-start'; stage: string; key?: string }
  | { type: 'stage-end'; stage: string; cached: boolean; ms: number; detail?: string; failed?: boolean }
  | { type: 'progress'; stage: string; percent?: number; done?: number; total?: number; bytes?: number; message?: string }
  | { type: 'log'; stage?: string; line: string }
  | { type: 'result'; [key: string]: unknown };

/** Writes stage events for humans or machines; tool logs go to a file the errors point to. */
export class Reporter {
  readonly mode: OutputMode;
  readonly verbose: boolean;
  private readonly out: NodeJS.WritableStream;
  private log: WriteStream | undefined;
  private live = false;

  constructor(options: { json?: boolean; verbose?: boolean; quiet?: boolean; out?: NodeJS.WritableStream; isTTY?: boolean }) {
    this.out = options.out ?? process.stderr;
    this.verbose = options.verbose ?? false;
    const tty = options.isTTY ?? Boolean((this.out as { isTTY?: boolean }).isTTY);
    this.mode = options.json ? 'json' : options.quiet ? 'quiet' : tty ? 'tty' : 'lines';
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
      else if (this.verbose) this.write(`${event.stage ? `[${event.stage}] ` : ''}${event.line}\n`);
      return;
    }
    if (this.mode === 'json') return this.json(event);
    if (this.mode === 'quiet' || event.type === 'result') return;
    if (event.type === 'stage-start') {
      if (this.mode === 'tty') this.liveLine(`… ${event.stage}`);
    } else if (event.type === 'progress') {
      if (this.mode === 'tty') this.liveLine(`… ${event.stage} ${progressText(event)}`);
    } else if (event.type === 'stage-end') {
      const text = `${event.failed ? '✗' : event.cached ? '=' : '✓'} ${event.stage.padEnd(11)} ${event.cached ? 'cached' : formatMs(event.ms)}${event.detail ? `  ${event.detail}` : ''}`;
      this.endLive();
      this.write(`${text}\n`);
    }
  }

  /** A line for the user regardless of mode (except JSON, which gets it as a message event). */
  say(text: string): void {
    if (this.mode === 'json') return this.json({ type: 'message', text });
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

  private liveLine(text: string): void {
    this.write(`\r\x1b[2K${text.slice(0, 100)}`);
    this.live = true;
  }

  private endLive(): void {
    if (this.live) this.write('\r\x1b[2K');
    this.live = false;
  }

  private write(text: string): void {
    this.out.write(text);
  }
}

function progressText(e: Extract<ReporterEvent, { type: 'progress' }>): string {
  const parts: string[] = [];
  if (e.percent !== undefined) parts.push(`${Math.floor(e.percent)}%`);
  if (e.done !== undefined) parts.push(e.total === undefined ? `${e.done}` : `${e.done}/${e.total}`);
  if (e.bytes !== undefined) parts.push(`${(e.bytes / 1048576).toFixed(1)} MiB`);
  if (e.message) parts.push(e.message);
  return parts.join(' ');
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
