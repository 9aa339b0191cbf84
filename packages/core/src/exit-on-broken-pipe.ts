/** The exit status a shell reports for a command killed by SIGPIPE (128 + 13). */
export const brokenPipeExitCode = 141;

/**
 * Makes a bin end quietly when the reader of its output goes away (`distroforge inspect X | head`),
 * as C tools do when SIGPIPE kills them: Node ignores SIGPIPE, so the next write fails with EPIPE
 * and, unhandled, crashes the process with a stack trace. Exits with 141 (what `set -o pipefail`
 * reports for `cat FILE | head`); any other stream error is rethrown.
 */
export function exitOnBrokenPipe(
  stream: NodeJS.WriteStream = process.stdout,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') exit(brokenPipeExitCode);
    else throw error;
  });
}
