// A bin whose reader went away ends with 141 and no stack trace: checked on a real pipe that is
// closed early, and on a stream that fails otherwise (rethrown).
import { execa } from 'execa';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenPipeExitCode, exitOnBrokenPipe } from '@distroforge/core';

// The built package (nx builds before testing): a child Node cannot load the TypeScript sources.
const coreIndex = join(import.meta.dirname, '..', 'dist', 'index.js');

describe('exitOnBrokenPipe', () => {
  it('ends a process writing into a closed pipe with 141 and nothing on stderr', async () => {
    // Writes far more than a pipe buffer holds; `head -c 10` exits after 10 bytes.
    const script = `
      const { exitOnBrokenPipe } = await import(${JSON.stringify(coreIndex)});
      exitOnBrokenPipe();
      const line = 'x'.repeat(1023) + '\\n';
      for (let i = 0; i < 100000; i++) if (!process.stdout.write(line)) await new Promise((r) => process.stdout.once('drain', r));
      process.stderr.write('not reached\\n');
    `;
    const run = await execa(
      'bash',
      ['-o', 'pipefail', '-c', 'node --input-type=module -e "$1" | head -c 10 >/dev/null', 'bash', script],
      {
        reject: false,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(brokenPipeExitCode);
  });

  it('rethrows any other stream error', () => {
    const stream = new EventEmitter() as unknown as NodeJS.WriteStream;
    const exits: number[] = [];
    exitOnBrokenPipe(stream, (code) => exits.push(code));
    stream.emit('error', Object.assign(new Error('broken'), { code: 'EPIPE' }));
    expect(exits).toEqual([141]);
    expect(() => stream.emit('error', Object.assign(new Error('disk full'), { code: 'ENOSPC' }))).toThrow('disk full');
  });
});
