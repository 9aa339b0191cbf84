import { readFileSync } from 'node:fs';

/**
 * The process's file mode creation mask, read from /proc/self/status (Linux >= 4.7), or undefined
 * where that is unavailable. Not process.umask(): without an argument it sets the mask to 0 and
 * back, a moment in which another thread's files would be created world-writable.
 */
export function currentUmask(): number | undefined {
  try {
    const match = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
    return match ? parseInt(match[1]!, 8) : undefined;
  } catch {
    return undefined;
  }
}
