import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { prepareUserNamespace, reclaimTree } from '@distroforge/core';
import { checkOutputDirectory, removeOutputs } from '../pipeline/output-directory.js';
import { lockState } from '../engine/state-lock.js';

export interface CleanResult {
  removed: string[];
  unmounted: string[];
}

/**
 * Removes a profile's build state and what builds published in its output directory, first undoing
 * any mount left behind by an interrupted build (chroot binds of /proc, /sys, /dev under the state
 * directory), deepest first. In the output directory only the files distroforge published go (its
 * ledger lists them); the directory itself only if distroforge made it and nothing else is left.
 */
export async function cleanProfile(paths: {
  profileDir: string;
  stateDir: string;
  outDir?: string | undefined;
}): Promise<CleanResult> {
  if (paths.outDir !== undefined) checkOutputDirectory(paths.outDir, paths.profileDir);
  const unmounted: string[] = [];
  for (const mount of await mountsUnder(resolve(paths.stateDir))) {
    await execa('umount', ['--lazy', mount], { reject: false });
    unmounted.push(mount);
  }
  const removed: string[] = [];
  if (existsSync(paths.stateDir)) {
    // Not from under a running build: it would fail in odd ways, or publish from a deleted cache.
    const lock = await lockState(paths.stateDir, 'clean');
    await removeState(paths.stateDir).finally(() => lock.release());
    removed.push(paths.stateDir);
  }
  if (paths.outDir !== undefined) removed.push(...(await removeOutputs(paths.outDir, paths.profileDir)));
  return { removed, unmounted };
}

/**
 * Removes the state directory. An ordinary user's may hold files of ids of the user's subordinate
 * range (a build or 9p run killed before it gave its tree back): those are reclaimed through a user
 * namespace first.
 */
async function removeState(stateDir: string): Promise<void> {
  try {
    await rm(stateDir, { recursive: true, force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (process.getuid?.() === 0 || (code !== 'EACCES' && code !== 'EPERM')) throw error;
    await reclaimTree(await prepareUserNamespace(), stateDir);
    await rm(stateDir, { recursive: true, force: true });
  }
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
