// `distroforge test` when a boot must fail: a check whose output does not match, a check whose
// output matches but whose command exits non-zero, a system that never prints its ready text.
// Each runs the real command (main() from source) on a copy of examples/minimal, booted for real
// (direct kernel boot), and asserts on the verdict (--json), the printed text and the exit code.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { exitCodes } from '../src/exit-codes.js';
import type { BootVerdict } from '../src/pipeline/boot-test.js';
import { copyExampleProfile } from './example-profile.js';
import { jsonLines, runDistroforge, type JsonLine } from './run-distroforge.js';

let work = '';
let profile = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'df-test-failures-'));
  profile = await copyExampleProfile('minimal', join(work, 'minimal'));
  // Built once here; every test below boots the cached kernel and initramfs (the test section is no build input).
  const built = await runDistroforge(['build', profile, '--quiet']);
  expect(built.exitCode, built.stderr).toBe(0);
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Replaces the profile's test commands. */
async function setCommands(commands: { run: string; expect: string }[]): Promise<void> {
  const file = join(profile, 'profile.yaml');
  const doc = parse(await readFile(file, 'utf8')) as { test: { commands: unknown } };
  doc.test.commands = commands;
  await writeFile(file, stringify(doc));
}

interface JsonRun {
  exitCode: number;
  result: { ok: boolean; boots: BootVerdict[] };
  events: JsonLine[];
  boot: BootVerdict;
}

/** `distroforge test PROFILE --json ARGS`: the result line, the events, the one boot's verdict. */
async function testJson(...args: string[]): Promise<JsonRun> {
  const run = await runDistroforge(['test', profile, '--json', ...args]);
  const result = jsonLines(run.stdout).find((l) => l.type === 'result') as unknown as JsonRun['result'] | undefined;
  expect(result, run.stderr).toBeDefined();
  expect(result!.boots).toHaveLength(1);
  return { exitCode: run.exitCode, result: result!, events: jsonLines(run.stderr), boot: result!.boots[0]! };
}

/** The failure is reported as the documented test failure: exit 5, ERR_TEST_FAILED, ok false. */
function expectTestFailure(run: JsonRun): void {
  expect(run.exitCode).toBe(exitCodes.testFailed);
  expect(run.result.ok).toBe(false);
  expect(run.boot.ok).toBe(false);
  expect(run.events.find((e) => e.type === 'error')).toMatchObject({
    code: 'ERR_TEST_FAILED',
    exitCode: 5,
    message: '1 of 1 boots failed',
  });
  expect(run.events.find((e) => e.type === 'stage-end' && e.stage === 'boot bios/direct')).toMatchObject({
    failed: true,
  });
}

/** The messages the command printed (the text a terminal shows; --json carries them as message events). */
function messages(run: JsonRun): string[] {
  return run.events.filter((e) => e.type === 'message').map((e) => String(e.text));
}

/** The last console lines are in the verdict, printed as `  | LINE`, and are lines of the console log (the guest may print more after them). */
async function expectLastLines(run: JsonRun): Promise<void> {
  const lines = run.boot.lastLines ?? [];
  expect(lines.length).toBeGreaterThan(0);
  expect(messages(run).filter((m) => m.startsWith('  | '))).toEqual(lines.map((l) => `  | ${l}`));
  expect(messages(run)).toContain(`  console log: ${run.boot.consoleLog}`);
  const log = (await readFile(run.boot.consoleLog!, 'utf8')).replace(/\r/g, '').trimEnd();
  expect(log).toContain(lines.join('\n').trimEnd());
}

describe('distroforge test fails', () => {
  it('when a check\u2019s output does not contain its expect text', async () => {
    await setCommands([
      { run: 'cat /etc/hostname', expect: 'minimal' },
      { run: 'cat /etc/hostname', expect: 'not-this-host' },
    ]);
    const run = await testJson();
    expectTestFailure(run);
    expect(run.boot.error).toBeUndefined();
    expect(run.boot.commands).toEqual([
      { run: 'cat /etc/hostname', expect: 'minimal', ok: true, matched: true, exitStatus: 0, output: 'minimal' },
      {
        run: 'cat /etc/hostname',
        expect: 'not-this-host',
        ok: false,
        matched: false,
        exitStatus: 0,
        output: 'minimal',
      },
    ]);
    expect(messages(run)).toEqual(
      expect.arrayContaining([
        'FAIL boot bios/direct: 1 of 2 checks failed',
        '  check "cat /etc/hostname" expected "not-this-host", got "minimal"',
      ]),
    );
    await expectLastLines(run);
  }, 600_000);

  it('when a check\u2019s command exits non-zero, even though its output matches', async () => {
    // Like `command -v a b c` in bash: it lists what it finds and fails for the rest. (busybox sh's
    // `command -v` looks at its first name only, so ls plays that part here.)
    await setCommands([{ run: 'ls /etc/motd /etc/no-such-file', expect: 'motd' }]);
    const run = await testJson();
    expectTestFailure(run);
    const [check] = run.boot.commands;
    expect(check).toMatchObject({ ok: false, matched: true, output: expect.stringContaining('/etc/motd') });
    expect(check!.exitStatus).not.toBe(0);
    expect(messages(run)).toEqual(
      expect.arrayContaining([
        'FAIL boot bios/direct: 1 of 1 checks failed',
        `  check "ls /etc/motd /etc/no-such-file" exited with status ${check!.exitStatus}`,
      ]),
    );
    await expectLastLines(run);
  }, 600_000);

  it('prints the failed check, the console\u2019s last lines and the log path, and exits 5 (without --json)', async () => {
    await setCommands([{ run: 'echo half-done; false', expect: 'half-done' }]);
    const run = await runDistroforge(['test', profile]);
    expect(run.exitCode).toBe(exitCodes.testFailed);
    const lines = run.stderr.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^✗ boot bios\/direct .* FAILED after /),
        'FAIL boot bios/direct: 1 of 1 checks failed',
        '  check "echo half-done; false" exited with status 1',
        expect.stringMatching(/^ {2}console log: \/.*bios-direct.*\.log$/),
        'FAIL minimal: bios/direct failed',
        'error: ERR_TEST_FAILED: 1 of 1 boots failed',
      ]),
    );
    // The console's last lines, the failing command's own output among them.
    const shown = lines.filter((l) => l.startsWith('  | '));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.some((l) => l.includes('half-done'))).toBe(true);
  }, 600_000);

  it('when the ready text never appears: a timeout with the stages completed and the last console lines', async () => {
    await setCommands([]);
    // --ready and --timeout replace the profile's: this system prints "distroforge: ready", never this.
    const run = await testJson('--ready', 'distroforge: never printed', '--timeout', '30');
    expectTestFailure(run);
    expect(run.boot.error).toMatch(
      /^ERR_QEMU_TIMEOUT: timed out after 30\.0 s waiting for "distroforge: never printed"/,
    );
    expect(run.boot.readyMs).toBeUndefined();
    expect(run.boot.commands).toEqual([]);
    expect(messages(run)).toContain(`FAIL boot bios/direct: ${run.boot.error}`);
    await expectLastLines(run);
  }, 600_000);
});
