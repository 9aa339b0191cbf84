import { open, readFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { coreError } from './errors.js';
import { ToolFailedError } from './errors.js';

export interface RunLoggedOptions {
  /** The tool's command line and combined stdout+stderr are written here (streamed). */
  logFile: string;
  /** Append to the log (several tools of one build share it) instead of replacing it. Default true. */
  append?: boolean;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the tool after this long (default one hour); SIGKILL 5 s after SIGTERM. */
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** Called with every chunk of combined output (progress parsing). */
  onOutput?: (chunk: string) => void;
  /** Filters applied to the log tail an error carries (e.g. to drop a tool's usage reminder). */
  tailFilter?: (line: string) => boolean;
}

/**
 * Runs an external tool (argument array, no shell, C locale, UTC) with its output streamed to a log
 * file, and returns its stdout. A non-zero exit, timeout or abort becomes a `ToolFailedError`
 * carrying the command line, the log's last lines and the log's path.
 */
export async function runLogged(command: string, args: readonly string[], options: RunLoggedOptions): Promise<string> {
  // Opened up front so an unwritable log location is a clear error, not a stream 'error' event.
  const handle = await open(options.logFile, options.append === false ? 'w' : 'a').catch((cause: unknown) => {
    throw coreError('ERR_LOG_FILE', `cannot write the tool log ${options.logFile}: ${(cause as Error).message}`, {
      path: options.logFile,
      cause,
    });
  });
  const log = handle.createWriteStream();
  log.write(`$ ${[command, ...args].join(' ')}\n`);
  // execa loads on first use: every distroforge command imports core, few run a tool at once.
  const { execa } = await import('execa');
  const child = execa(command, [...args], {
    all: true,
    stdin: 'ignore',
    reject: false,
    env: { ...process.env, ...options.env, LC_ALL: 'C', TZ: 'UTC' },
    extendEnv: false,
    timeout: options.timeoutMs ?? 60 * 60 * 1000,
    forceKillAfterDelay: 5000,
    maxBuffer: 256 << 20,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  child.all?.on('data', (chunk: Buffer | string) => {
    log.write(chunk);
    options.onOutput?.(String(chunk));
  });
  const result = await child;
  log.end();
  await finished(log);
  if (result.exitCode === 0 && !result.failed) return String(result.stdout ?? '');
  const reason = result.timedOut
    ? 'timed out'
    : result.isCanceled
      ? 'canceled'
      : result.signal
        ? `killed by ${result.signal}`
        : undefined;
  const tail = await logTail(options.logFile, 15, options.tailFilter);
  throw new ToolFailedError([command, ...args], result.exitCode, reason ? `${reason}\n${tail}` : tail, {
    path: options.logFile,
  });
}

/** The last non-empty lines of a log, carriage-return progress redraws collapsed to their last state. */
export async function logTail(
  file: string,
  lines = 15,
  filter: (line: string) => boolean = () => true,
): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map(
      (line) =>
        line
          .split('\r')
          .filter((part) => part.trim() !== '')
          .pop() ?? '',
    )
    .filter((line) => line.trim() !== '' && filter(line))
    .slice(-lines)
    .join('\n');
}
