import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLogged, ToolFailedError } from '@distroforge/core';

describe('runLogged', () => {
  it('returns stdout, streams output to the log and appends across tools', async () => {
    const log = join(await mkdtemp(join(tmpdir(), 'df-run-')), 'build.log');
    const chunks: string[] = [];
    const out = await runLogged('sh', ['-c', 'echo hello; echo oops >&2'], {
      logFile: log,
      onOutput: (c) => chunks.push(c),
    });
    expect(out).toBe('hello');
    await runLogged('sh', ['-c', 'echo second'], { logFile: log });
    const text = await readFile(log, 'utf8');
    expect(text).toContain('$ sh -c echo hello; echo oops >&2\n');
    expect(text).toContain('oops');
    expect(text).toContain('second');
    expect(chunks.join('')).toContain('hello');
  });

  it('turns failure into a ToolFailedError with the log tail and path, in the C locale', async () => {
    const log = join(await mkdtemp(join(tmpdir(), 'df-run-')), 'tool.log');
    const error = await runLogged(
      'sh',
      ['-c', 'echo "LC_ALL=$LC_ALL TZ=$TZ"; printf "10%%\\r50%%\\r90%%\\n"; echo FATAL: disk full >&2; exit 3'],
      { logFile: log, append: false },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolFailedError);
    const e = error as ToolFailedError;
    expect(e.exitCode).toBe(3);
    expect(e.hint).toBe(`full log: ${log}`);
    expect(e.logTail.split('\n').slice(-3)).toEqual(['LC_ALL=C TZ=UTC', '90%', 'FATAL: disk full']);
  });

  it('reports a timeout and an unwritable log clearly', async () => {
    const log = join(await mkdtemp(join(tmpdir(), 'df-run-')), 'slow.log');
    const slow = await runLogged('sleep', ['5'], { logFile: log, timeoutMs: 200 }).catch((e: unknown) => e);
    expect((slow as ToolFailedError).logTail).toMatch(/^timed out/);
    await expect(runLogged('true', [], { logFile: '/nonexistent-dir/x.log' })).rejects.toMatchObject({
      code: 'ERR_LOG_FILE',
    });
  });
});
