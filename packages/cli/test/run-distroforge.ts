// Runs the distroforge command in this process: main() from source (no build needed), with what it
// writes to stdout and stderr captured, as a user running the bin would see it.
import { Writable } from 'node:stream';
import { main } from '../src/main.js';

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A JSON line of `--json` output: the result on stdout, events (`message`, `stage-end`, `error`...) on stderr. */
export type JsonLine = { type: string; [key: string]: unknown };

/**
 * `distroforge ARGS`. Commands write to process.stdout/stderr themselves (the reporter, the JSON
 * result), so both are captured for the duration of the run; runs must not overlap.
 */
export async function runDistroforge(args: string[]): Promise<CliRun> {
  const captured = { stdout: '', stderr: '' };
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  const sink = (stream: 'stdout' | 'stderr') =>
    new Writable({ write: (chunk: Buffer, _encoding, done) => ((captured[stream] += chunk.toString('utf8')), done()) });
  try {
    const exitCode = await main(args, { stdout: sink('stdout'), stderr: sink('stderr') });
    return { exitCode, ...captured };
  } finally {
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
  }
}

/** The JSON lines of a `--json` run's stream. */
export function jsonLines(text: string): JsonLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JsonLine);
}
