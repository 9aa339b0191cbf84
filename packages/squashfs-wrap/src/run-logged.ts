import { DistroforgeError, ToolFailedError } from '@distroforge/core';
import { execa } from 'execa';
import { open, readFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';

export interface RunLoggedOptions {
  logFile: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with every chunk of combined stdout+stderr. */
  onOutput?: (chunk: string) => void;
}

const defaultTimeoutMs = 60 * 60 * 1000;

/**
 * Runs a tool (argument array, no shell) with its combined output streamed to a log file; a
 * non-zero exit, timeout or abort becomes a ToolFailedError carrying the log's last lines and path.
 */
export async function runLogged(command: string, args: readonly string[], options: RunLoggedOptions): Promise<void> {
  // Opened up front so an unwritable log location is a clear error, not a stream 'error' event.
  const handle = await open(options.logFile, 'w').catch((cause: unknown) => {
    throw new DistroforgeError('ERR_LOG_FILE', `cannot write the tool log ${options.logFile}: ${(cause as Error).message}`, {
      path: options.logFile,
      cause,
      hint: 'make sure the output directory exists and is writable, or pass logFile',
    });
  });
  const log = handle.createWriteStream();
  log.write(`$ ${[command, ...args].join(' ')}\n`);
  const child = execa(command, [...args], {
    all: true,
    buffer: false,
    stdin: 'ignore',
    reject: false,
    env: { ...process.env, ...options.env, LC_ALL: 'C', TZ: 'UTC' },
    extendEnv: false,
    timeout: options.timeoutMs ?? defaultTimeoutMs,
    forceKillAfterDelay: 5000,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  child.all?.setEncoding('utf8');
  child.all?.on('data', (chunk: string) => {
    log.write(chunk);
    options.onOutput?.(chunk);
  });
  const result = await child;
  log.end();
  await finished(log);
  if (result.exitCode === 0 && !result.failed) return;
  const reason = result.timedOut ? 'timed out' : result.isCanceled ? 'canceled' : result.signal ? `killed by ${result.signal}` : undefined;
  const tail = await logTail(options.logFile);
  throw new ToolFailedError([command, ...args], result.exitCode, reason ? `${reason}\n${tail}` : tail, { path: options.logFile });
}

/**
 * The last lines of a log, progress-bar redraws collapsed and mksquashfs' pseudo-definition
 * syntax reminder (18 tab-indented `filename ...` lines) dropped so the real error stays visible.
 */
export async function logTail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.split('\r').filter((part) => part.trim() !== '').pop() ?? '')
    .filter((line) => line.trim() !== '' && !/^\t+filename /.test(line))
    .slice(-lines)
    .join('\n');
}
