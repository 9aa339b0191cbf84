import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockState, LOCK_NAME } from '../src/engine/state-lock.js';

describe('lockState', () => {
  it('refuses a second holder while a running process holds the state, naming its pid', async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-lock-'));
    // Another process holds it: a real one, with its pid and start time as lockState writes them.
    const holder = execa('node', [
      '-e',
      `
      const { readFileSync, writeFileSync } = require('node:fs');
      const stat = readFileSync('/proc/self/stat', 'utf8');
      writeFileSync(${JSON.stringify(join(state, LOCK_NAME))}, JSON.stringify({ pid: process.pid, started: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] }));
      console.log('held'); setTimeout(() => {}, 60000);`,
    ]);
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));
    try {
      await expect(lockState(state)).rejects.toMatchObject({
        code: 'ERR_STATE_LOCKED',
        value: holder.pid,
        message: expect.stringContaining(`pid ${holder.pid}`),
      });
    } finally {
      holder.kill();
      await holder.catch(() => undefined);
    }
    // Gone: its lock is stale and taken over.
    const lock = await lockState(state);
    expect(JSON.parse(await readFile(join(state, LOCK_NAME), 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(existsSync(join(state, LOCK_NAME))).toBe(false);
  });

  it('refuses a second build of the same state in this process until the first releases it', async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-lock-'));
    const first = await lockState(state);
    await expect(lockState(state)).rejects.toMatchObject({ code: 'ERR_STATE_LOCKED' });
    await first.release();
    await (await lockState(state)).release();
  });

  it('takes over a lock whose pid was reused by another process, and removes what a killed build left', async () => {
    const state = await mkdtemp(join(tmpdir(), 'df-lock-'));
    // pid 1 runs, but not since the recorded start time: the holder is gone.
    await writeFile(join(state, LOCK_NAME), JSON.stringify({ pid: 1, started: 'not-a-start-time' }));
    const stages = join(state, 'stages', 'rootfs');
    for (const name of ['.abc.partial-999999', '.stale-def-999999', 'kept'])
      await mkdir(join(stages, name), { recursive: true });
    await writeFile(join(stages, '.abc.partial-999999', 'big'), 'half a root');
    const lock = await lockState(state);
    expect(existsSync(join(stages, '.abc.partial-999999'))).toBe(false);
    expect(existsSync(join(stages, '.stale-def-999999'))).toBe(false);
    expect(existsSync(join(stages, 'kept'))).toBe(true);
    await lock.release();
  });
});
