import { CliError } from '../errors.js';
import { link, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processStartTime as startTime } from './process-start-time.js';

export const LOCK_NAME = 'lock';

interface Holder {
  pid: number;
  /** The process's start time (clock ticks since boot, /proc/PID/stat field 22): a reused pid is not the holder. */
  started: string;
}

/** A build state directory held by this process. */
export interface StateLock {
  release(): Promise<void>;
}

/**
 * Takes the build state directory for this process: two builds of one profile at once would
 * replace each other's stage outputs mid-stage. A lock whose process is gone (killed, crashed) is
 * taken over, and what that build left half-done — stage outputs being written, stale outputs being
 * deleted — is removed, since no other build can be using them now.
 */
export async function lockState(stateDir: string, what = 'build'): Promise<StateLock> {
  await mkdir(stateDir, { recursive: true });
  const file = join(stateDir, LOCK_NAME);
  if (heldHere.has(file)) throw lockedError(stateDir, process.pid, what);
  heldHere.add(file);
  try {
    await takeLockFile(file, stateDir, what);
  } catch (error) {
    heldHere.delete(file);
    throw error;
  }
  await removeLeftovers(stateDir);
  return {
    release: async () => {
      heldHere.delete(file);
      const holder = await readHolder(file);
      if (holder?.pid === process.pid) await rm(file, { force: true });
    },
  };
}

/** Lock files this process holds (a second build in the same process must wait its turn too). */
const heldHere = new Set<string>();

function lockedError(stateDir: string, pid: number, what: string): CliError {
  return new CliError(
    'ERR_STATE_LOCKED',
    `another distroforge ${pid === process.pid ? 'build in this process' : `process (pid ${pid})`} is using the build state ${stateDir}`,
    {
      path: stateDir,
      value: pid,
      hint:
        pid === process.pid
          ? `wait for it to finish, then ${what} again`
          : `wait for it to finish (or stop it: kill ${pid}), then ${what} again`,
    },
  );
}

async function takeLockFile(file: string, stateDir: string, what: string): Promise<void> {
  // Written whole, then linked into place: link(2) fails if the lock exists, and nobody ever sees
  // a lock file without its holder.
  const mine = `${file}.${process.pid}`;
  await writeFile(
    mine,
    `${JSON.stringify({ pid: process.pid, started: startTime(process.pid) ?? '' } satisfies Holder)}\n`,
  );
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(mine, file);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 3) throw error;
      }
      const holder = await readHolder(file);
      // A lock of this pid not in heldHere was left by an earlier build of this process that failed early.
      if (holder && holder.pid !== process.pid && isRunning(holder)) throw lockedError(stateDir, holder.pid, what);
      // The holder is gone. Move its lock aside (one process wins the rename) and make sure what was
      // moved is that stale lock, not one another process took meanwhile.
      const aside = `${file}.stale-${process.pid}`;
      if (
        await rename(file, aside).then(
          () => true,
          () => false,
        )
      ) {
        const moved = await readHolder(aside);
        if (moved && moved.pid !== holder?.pid && isRunning(moved)) {
          await link(aside, file).catch(() => undefined);
          await rm(aside, { force: true });
          throw lockedError(stateDir, moved.pid, what);
        }
        await rm(aside, { force: true });
      }
    }
  } finally {
    await rm(mine, { force: true });
  }
}

/** Stage outputs a killed build was writing (`.KEY.partial-PID`) or deleting (`.stale-KEY-PID`). */
async function removeLeftovers(stateDir: string): Promise<void> {
  const stages = join(stateDir, 'stages');
  for (const stage of await readdir(stages).catch(() => [])) {
    for (const name of await readdir(join(stages, stage)).catch(() => [])) {
      const pid = /^\.(?:.+\.partial|stale-.+)-(\d+)$/.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid)
        await rm(join(stages, stage, name), { recursive: true, force: true });
    }
  }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Holder>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, started: String(parsed.started ?? '') } : undefined;
  } catch {
    return undefined; // unreadable or half-written: nobody holds it
  }
}

function isRunning(holder: Holder): boolean {
  const started = startTime(holder.pid);
  return started !== undefined && (holder.started === '' || started === holder.started);
}
