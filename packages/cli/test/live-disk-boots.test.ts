// The qcow2 disk format and the EROFS root image, booted: a live USB stick profile (test/fixtures/
// rpm-live-disk: the generated RPM repository's busybox root, the EROFS image as a read-only root
// partition of a qcow2 GPT disk, a data partition for the overlay's writable layer) built and booted
// under UEFI by the real command (main() from source). Then the same stick with its persistence
// switched off: the token the first boot writes is gone in the second, and the test must fail.
import { execa } from 'execa';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { generateRpmTestRepo } from '../../../tools/rpm-test-repo/generate.mjs';
import { exitCodes } from '../src/exit-codes.js';
import type { BuildReport } from '../src/pipeline/build-profile.js';
import type { BootVerdict } from '../src/pipeline/boot-test.js';
import { jsonLines, runDistroforge, type JsonLine } from './run-distroforge.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
let work = '';
let profile = '';

interface TestRun {
  exitCode: number;
  result: { ok: boolean; build: BuildReport; boots: BootVerdict[] };
  events: JsonLine[];
}

async function testJson(...args: string[]): Promise<TestRun> {
  const run = await runDistroforge(['test', profile, '--json', ...args]);
  const result = jsonLines(run.stdout).find((l) => l.type === 'result') as unknown as TestRun['result'] | undefined;
  expect(result, run.stderr).toBeDefined();
  return { exitCode: run.exitCode, result: result!, events: jsonLines(run.stderr) };
}

/** Edits the profile copy's YAML. */
async function editProfile(edit: (doc: Record<string, unknown>) => void): Promise<void> {
  const file = join(profile, 'profile.yaml');
  const doc = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(doc);
  await writeFile(file, stringify(doc));
}

beforeAll(async () => {
  const rpms = (await generateRpmTestRepo(join(repoRoot, '.cache', 'rpm-test-repo', 'repo'))).dir;
  work = await mkdtemp(join(tmpdir(), 'df-live-disk-'));
  profile = join(work, 'rpm-live-disk');
  await cp(join(import.meta.dirname, 'fixtures', 'rpm-live-disk'), profile, { recursive: true });
  await editProfile((doc) => (doc.source = { type: 'rpm-dir', location: rpms }));
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a qcow2 live disk with an EROFS root image', () => {
  it('builds a qcow2 disk and boots it under UEFI: the EROFS image is the root under an overlay kept on the data partition', async () => {
    const run = await testJson('--firmware', 'uefi', '--medium', 'disk');
    const [boot] = run.result.boots;
    console.log(`rpm-live-disk uefi/disk (qcow2, EROFS): ready in ${boot?.readyMs} ms (${boot?.accel})`);
    const disk = run.result.build.outputs.find((o) => o.kind === 'disk')!;
    expect(disk.file).toMatch(/\.qcow2$/);
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', disk.file])).stdout) as {
      format: string;
    };
    expect(info.format).toBe('qcow2');
    expect(run.result.build.outputs.map((o) => o.kind)).toContain('erofs');
    expect(
      run.result.boots.map((b) => [`${b.firmware}/${b.medium}`, b.error, b.ok]),
      JSON.stringify(boot, null, 1),
    ).toEqual([['uefi/disk', undefined, true]]);
    expect(boot!.commands.map((c) => [c.run, c.ok])).toEqual([
      ['hostname', true],
      ['cat /etc/motd', true],
      ["grep ' / ' /proc/mounts", true],
      ['ls -1 /sys/fs/erofs', true],
    ]);
    const log = await readFile(boot!.consoleLog!, 'utf8');
    expect(log).toMatch(/live: mounted \S+ \(erofs, read-only image\)/);
    expect(log).toMatch(/live: persistence on \S+ \(ext4\): changes are kept/);
    expect(run.exitCode).toBe(exitCodes.ok);
    expect(run.result.ok).toBe(true);
  }, 1_200_000);
});

describe('distroforge test fails when the persistence token is not found', () => {
  it('the same stick with live.persistence= emptied keeps its changes in RAM: written, then missing, exit 5', async () => {
    // The profile's kernel arguments come after the disk's own: the live init sees an empty live.persistence=.
    await editProfile((doc) => (doc.boot = { kernelArgs: ['live.persistence='] }));
    const run = await testJson('--firmware', 'bios');
    for (const b of run.result.boots)
      console.log(
        `rpm-live-disk ${b.firmware}/${b.medium} (persistence ${b.persistence}): ready in ${b.readyMs} ms (${b.accel})`,
      );
    expect(run.exitCode).toBe(exitCodes.testFailed);
    expect(run.result.ok).toBe(false);
    const [write, check] = run.result.boots;
    expect([write, check].map((b) => [`${b?.firmware}/${b?.medium}`, b?.ok, b?.persistence])).toEqual([
      ['bios/disk', true, 'written'],
      ['bios/disk-usb', false, 'missing'],
    ]);
    // Everything else in the second boot passed: only the token is missing.
    expect(check!.commands.every((c) => c.ok)).toBe(true);
    expect(check!.error).toBe(
      '/var/lib/distroforge-persist written in the previous boot is missing: the root is not persistent',
    );
    expect(check!.lastLines?.length).toBeGreaterThan(0);
    expect(check!.lastLines!.join('\n')).toContain('cat /var/lib/distroforge-persist');
    const messages = run.events.filter((e) => e.type === 'message').map((e) => String(e.text));
    expect(messages).toContain(`FAIL boot bios/disk-usb: ${check!.error}`);
    expect(messages.filter((m) => m.startsWith('  | '))).toEqual(check!.lastLines!.map((l) => `  | ${l}`));
    expect(run.events.find((e) => e.type === 'error')).toMatchObject({
      code: 'ERR_TEST_FAILED',
      exitCode: 5,
      message: '1 of 2 boots failed',
    });
    // Why: no persistence partition was mounted, in either boot.
    for (const boot of [write!, check!])
      expect(await readFile(boot.consoleLog!, 'utf8')).not.toMatch(/live: persistence on/);
  }, 1_800_000);
});

describe('distroforge test answers the boot menu', () => {
  it('a menu whose countdown outlasts test.timeout still boots: Enter is pressed as soon as GRUB shows it', async () => {
    // One hour of menu against the test's 600 s: only the key press can make this boot in time.
    await editProfile((doc) => (doc.boot = { timeout: 3600 }));
    const run = await testJson('--firmware', 'uefi', '--medium', 'disk');
    const [boot] = run.result.boots;
    console.log(`rpm-live-disk uefi/disk (menu answered): ready in ${boot?.readyMs} ms (${boot?.accel})`);
    expect(run.result.boots.map((b) => [`${b.firmware}/${b.medium}`, b.error, b.ok, b.menuAnswered])).toEqual([
      ['uefi/disk', undefined, true, true],
    ]);
    // The image kept its own timeout; only the test skipped the wait.
    expect(await readFile(boot!.consoleLog!, 'utf8')).toMatch(/executed automatically in 3600s/);
    expect(run.exitCode).toBe(exitCodes.ok);
  }, 1_200_000);
});
