// One process at a time for a cached, generated directory (test files run in parallel): a lock
// directory beside it, taken with mkdir; a lock older than 15 minutes was left by a killed run.
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Runs `body` holding `${out}.lock`; the lock is released whatever `body` does. */
export async function withDirectoryLock(out, body) {
  await mkdir(dirname(out), { recursive: true });
  const lock = `${out}.lock`;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 15 * 60_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 300));
    }
  }
  try {
    return await body();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
