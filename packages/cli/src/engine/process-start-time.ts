import { readFileSync } from 'node:fs';

/**
 * A process's start time (clock ticks since boot, /proc/PID/stat field 22), or undefined when no
 * such process runs: with the pid it names one process, even after the pid is reused.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
