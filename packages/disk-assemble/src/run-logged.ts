import { ToolFailedError } from '@distroforge/core';
import { execa } from 'execa';
import { appendFile } from 'node:fs/promises';

export interface RunLoggedOptions {
  /** Combined stdout+stderr is appended here, after the command line. */
  logFile: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

const defaultTimeoutMs = 30 * 60 * 1000;

/**
 * Runs a tool (argument array, no shell) in the C locale and UTC, appending its output to the
 * build log; a non-zero exit, timeout or abort becomes a ToolFailedError with the log's tail.
 * Returns stdout for tools whose output we parse.
 */
export async function runLogged(command: string, args: readonly string[], options: RunLoggedOptions): Promise<string> {
  const result = await execa(command, [...args], {
    all: true,
    stdin: 'ignore',
    reject: false,
    env: { ...process.env, ...options.env, LC_ALL: 'C', TZ: 'UTC' },
    extendEnv: false,
    timeout: options.timeoutMs ?? defaultTimeoutMs,
    forceKillAfterDelay: 5000,
    maxBuffer: 64 << 20,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  await appendFile(options.logFile, `$ ${[command, ...args].join(' ')}\n${result.all ?? ''}${result.all ? '\n' : ''}`);
  if (result.exitCode === 0 && !result.failed) return result.stdout;
  const reason = result.timedOut ? 'timed out' : result.isCanceled ? 'canceled' : result.signal ? `killed by ${result.signal}` : undefined;
  const tail = lastLines(result.all ?? '');
  throw new ToolFailedError([command, ...args], result.exitCode, reason ? `${reason}\n${tail}` : tail, { path: options.logFile });
}

function lastLines(text: string, lines = 15): string {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-lines)
    .join('\n');
}

