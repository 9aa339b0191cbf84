import { isDistroforgeError } from './distroforge-error.js';

/**
 * How every package bin ends on an error: a typed error is described with its code, path and hint
 * (exit 1); a command line node:util's parseArgs refused prints the message and the usage (exit 2).
 * Anything else is a bug and is rethrown, so its stack is seen.
 */
export function binErrorExit(error: unknown, writeError: (text: string) => void, usage: string): number {
  if (isDistroforgeError(error)) {
    writeError(`${error.describe()}\n`);
    return 1;
  }
  if (String((error as { code?: unknown } | null)?.code).startsWith('ERR_PARSE_ARGS')) {
    writeError(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  throw error;
}
