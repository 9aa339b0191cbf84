import type { RunLoggedOptions } from '@distroforge/core';

/**
 * How squashfs tools are logged: one log per image (replaced, not appended), and mksquashfs'
 * pseudo-definition syntax reminder (18 tab-indented `filename ...` lines) kept out of error tails
 * so the real error stays visible.
 */
export function squashfsLogOptions(logFile: string): Pick<RunLoggedOptions, 'logFile' | 'append' | 'tailFilter'> {
  return { logFile, append: false, tailFilter: (line) => !/^\t+filename /.test(line) };
}
