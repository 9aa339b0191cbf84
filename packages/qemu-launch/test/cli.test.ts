import { rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/run-cli.js';
import { makeGuest, MARKER, type Guest } from './_guest.js';

let guest: Guest;
beforeAll(async () => {
  guest = await makeGuest();
});
afterAll(async () => {
  if (guest) await rm(guest.dir, { recursive: true, force: true });
});

async function run(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await runCli(argv.includes('--kernel') ? [...argv, '--log-dir', guest.logDir] : argv, {
    stdout,
    stderr,
    stdin: new PassThrough(),
  });
  return { code, out, err };
}

describe('qemu-launch bin', () => {
  it('exits 0 and prints the time and accelerator when the text appears', async () => {
    const { code, out } = await run([
      '--kernel',
      guest.kernel,
      '--initrd',
      guest.initrd,
      '--append',
      guest.append,
      '--expect',
      MARKER,
      '--timeout',
      '180',
      '--memory',
      '256',
      '--accel',
      'tcg',
    ]);
    expect(out).toMatch(
      new RegExp(`^found "${MARKER}" after \\d+\\.\\d s \\(accel tcg: TCG requested\\)\\nconsole log: /`),
    );
    expect(code).toBe(0);
  });

  it('exits 1 on a timeout, with the last console lines', async () => {
    const { code, err } = await run([
      '--kernel',
      guest.kernel,
      '--initrd',
      guest.initrd,
      '--append',
      'console=ttyS0 earlyprintk=ttyS0 panic=-1',
      '--expect',
      'never printed',
      '--timeout',
      '10',
      '--accel',
      'tcg',
    ]);
    expect(err).toContain('ERR_QEMU_TIMEOUT: timed out after 10.0 s waiting for "never printed"');
    expect(err).toMatch(/last console lines:\n {2}\| /);
    expect(err).toMatch(/hint: full console log: \/.*qemu\.console\.log/);
    expect(code).toBe(1);
  });

  it('exits 2 when QEMU ends first (kernel panic with panic=-1), showing the panic', async () => {
    const { code, err } = await run([
      '--kernel',
      guest.kernel,
      '--initrd',
      guest.initrd,
      '--append',
      'console=ttyS0 panic=-1 rdinit=/nonexistent init=/nonexistent',
      '--expect',
      MARKER,
      '--timeout',
      '180',
      '--accel',
      'tcg',
    ]);
    expect(err).toContain('ERR_QEMU_EXITED: QEMU exited with code 0 before the console showed');
    expect(err).toContain('Kernel panic');
    expect(code).toBe(2);
  });

  it('exits 3 when something is missing, 64 on usage errors (an unknown flag with the nearest known one, a stray argument)', async () => {
    const missing = await run(['--kernel', '/nonexistent/vmlinuz', '--expect', 'x']);
    expect(missing.err).toContain('ERR_QEMU_INPUT_MISSING: kernel not found: /nonexistent/vmlinuz');
    expect(missing.code).toBe(3);
    expect((await run(['--kernel', guest.kernel])).code).toBe(64);
    const unknown = await run(['--kernel', guest.kernel, '--expcet', 'x']);
    expect(unknown.code).toBe(64);
    expect(unknown.err).toContain("qemu-launch: ERR_USAGE: unknown flag '--expcet'\n  hint: did you mean --expect?");
    const stray = await run(['--kernel', guest.kernel, '--expect', 'x', 'stray.iso']);
    expect(stray.code).toBe(64);
    expect(stray.err).toContain("ERR_USAGE: unexpected argument 'stray.iso'");
    expect((await run(['--no-such-flag'])).code).toBe(64);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: qemu-launch');
  });
});
