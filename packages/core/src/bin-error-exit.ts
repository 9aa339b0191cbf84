import { isDistroforgeError } from './errors.js';

/**
 * How every package bin ends on an error: a command line it cannot run (ERR_USAGE, e.g. from
 * parseCommandLine) prints the message, its hint and the usage (exit 2); any other typed error is
 * described with its code, path and hint (exit 1). Anything else is a bug and is rethrown, so its
 * stack is seen.
 */
export function binErrorExit(error: unknown, writeError: (text: string) => void, usage: string): number {
  if (isDistroforgeError(error) && error.code === 'ERR_USAGE') {
    writeError(`${error.describe()}\n${usage}`);
    return 2;
  }
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
