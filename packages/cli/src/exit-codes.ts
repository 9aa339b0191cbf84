import { isDistroforgeError } from '@distroforge/core';

/** Exit codes of the distroforge command (documented in the README). */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  toolMissing: 3,
  buildFailed: 4,
  testFailed: 5,
  interrupted: 130,
} as const;

/** Maps an error to the exit code the CLI returns for it. */
export function exitCodeFor(error: unknown): number {
  if (!isDistroforgeError(error)) return exitCodes.failure;
  const code = error.code;
  if (code === 'ERR_PROFILE_INVALID' || code === 'ERR_USAGE' || code === 'ERR_REPORT_NO_BUILD') return exitCodes.usage;
  if (code === 'ERR_TOOL_MISSING' || code === 'ERR_TOOL_VERSION') return exitCodes.toolMissing;
  if (code === 'ERR_TEST_FAILED' || code.startsWith('ERR_QEMU')) return exitCodes.testFailed;
  if (code === 'ERR_INTERRUPTED') return exitCodes.interrupted;
  return exitCodes.buildFailed;
}
