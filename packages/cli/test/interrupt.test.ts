// Ctrl-C during a build: the command stops the running stage, exits 130 with a typed error, and
// leaves neither a half-written stage output nor an output file behind.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { copyExampleProfile } from './example-profile.js';

const cli = join(import.meta.dirname, '..', 'dist', 'bin', 'cli.js');
let work = '';

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every path under `dir`, relative. */
async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

it('SIGINT in the middle of a stage exits 130 and removes the partial stage output', async () => {
  work = await mkdtemp(join(tmpdir(), 'df-interrupt-'));
  const profile = join(work, 'minimal');
  await copyExampleProfile('minimal', profile);
  const state = join(work, 'state');
  const child = execa('node', [cli, 'build', profile, '--json', '--state', state, '--out', join(work, 'out')], {
    reject: false,
    buffer: true,
  });
  let sent = false;
  // The kernel stage (Debian's kernel package verified and unpacked) runs for seconds: interrupt it.
  child.stderr!.on('data', (chunk: Buffer) => {
    if (!sent && /"type":"stage-start","stage":"kernel"/.test(chunk.toString())) {
      sent = true;
      setTimeout(() => child.kill('SIGINT'), 500);
    }
  });
  const result = await child;
  expect(sent).toBe(true);
  expect(result.exitCode, String(result.stderr)).toBe(130);
  const error = String(result.stderr)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; code?: string })
    .find((e) => e.type === 'error');
  expect(error?.code).toBe('ERR_INTERRUPTED');
  expect((await listTree(state)).filter((p) => p.includes('partial'))).toEqual([]);
  // Nothing but the remembered package resolution (taken before the stage started).
  const kernelStage = existsSync(join(state, 'stages', 'kernel')) ? await readdir(join(state, 'stages', 'kernel')) : [];
  expect(kernelStage.filter((n) => !n.startsWith('.resolved-'))).toEqual([]);
  expect(existsSync(join(work, 'out')) ? await readdir(join(work, 'out')) : []).toEqual([]);
}, 300_000);
