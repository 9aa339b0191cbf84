import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';

export interface CleanResult {
  removed: string[];
  unmounted: string[];
}

/**
 * Removes a profile's build state and outputs, first undoing any mount left behind by an
 * interrupted build (chroot binds of /proc, /sys, /dev under the state directory), deepest first.
 */
export async function cleanProfile(stateDir: string, outDir: string | undefined): Promise<CleanResult> {
  const unmounted: string[] = [];
  for (const mount of await mountsUnder(resolve(stateDir))) {
    await execa('umount', ['--lazy', mount], { reject: false });
    unmounted.push(mount);
  }
  const removed: string[] = [];
  for (const dir of [stateDir, outDir]) {
    if (dir && existsSync(dir)) {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return { removed, unmounted };
}

async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .map((m) => m.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .sort((a, b) => b.length - a.length);
}
