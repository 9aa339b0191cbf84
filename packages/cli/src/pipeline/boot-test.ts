import { launch, type LaunchOptions } from '@distroforge/qemu-launch';
import { DistroforgeError, isDistroforgeError } from '@distroforge/core';
import type { Profile } from '../profile/profile-schema.js';
import type { BuildReport } from './build-profile.js';

/**
 * cdrom / disk: the ISO as a CD-ROM or as a USB-style disk; direct: kernel + initramfs with the root
 * image as a virtio disk; 9p: kernel + initramfs with the staging tree shared from the host.
 */
export type BootMode = { firmware: 'bios' | 'uefi' | 'uefi-secureboot'; medium: 'cdrom' | 'disk' | 'direct' | '9p' };

export interface CommandVerdict {
  run: string;
  expect: string;
  ok: boolean;
  exitStatus: number | undefined;
  output: string;
}

export interface BootVerdict extends BootMode {
  ok: boolean;
  accel: string;
  /** Milliseconds from QEMU start to the readiness text. */
  readyMs: number | undefined;
  commands: CommandVerdict[];
  error?: string;
  lastLines?: string[];
  consoleLog?: string;
}

/** The boot modes a profile is tested in: every firmware it targets, from CD-ROM (or direct for initramfs-only systems). */
export function bootModes(profile: Profile, report: BuildReport): BootMode[] {
  const hasIso = report.outputs.some((o) => o.kind === 'iso');
  if (!hasIso) return [{ firmware: 'bios', medium: 'direct' }];
  return profile.firmware.map((firmware) => ({ firmware, medium: 'cdrom' as const }));
}

function launchOptionsFor(mode: BootMode, report: BuildReport, memory: number): LaunchOptions {
  const iso = report.outputs.find((o) => o.kind === 'iso')?.file;
  const base: LaunchOptions = {
    memory,
    cpus: 2,
    firmware: mode.firmware === 'bios' ? 'bios' : 'uefi',
    secureBoot: mode.firmware === 'uefi-secureboot',
    machine: 'q35',
  };
  if (mode.medium === 'direct' || mode.medium === '9p') {
    const d = report.direct;
    if (!d) throw new DistroforgeError('ERR_USAGE', 'this build has no kernel and initramfs to boot directly');
    if (mode.medium === '9p') {
      if (!d.stagingRoot) throw new DistroforgeError('ERR_USAGE', 'this build has no staging root to share over 9p', { hint: 'use --medium direct' });
      const append = `${d.append.replace(/ ?live\.(device|image)=\S*/g, '')} live.root=9p live.tag=rootfs`;
      const securityModel = process.getuid?.() === 0 ? 'passthrough' : 'none';
      return { ...base, kernel: d.kernel, initrd: d.initrd, append, shares: [{ path: d.stagingRoot, tag: 'rootfs', type: '9p', readOnly: true, securityModel }] };
    }
    return { ...base, kernel: d.kernel, initrd: d.initrd, append: d.append, ...(d.rootImage ? { disks: [{ path: d.rootImage, readOnly: true, format: 'raw' }] } : {}) };
  }
  if (!iso) throw new Error('the build produced no ISO');
  return mode.medium === 'cdrom' ? { ...base, iso } : { ...base, disks: [{ path: iso, format: 'raw', snapshot: true }] };
}

/** Boots one mode, waits for readiness, runs the profile's test commands, and always stops QEMU. */
export async function bootAndCheck(mode: BootMode, report: BuildReport, test: NonNullable<Profile['test']>, logDir?: string): Promise<BootVerdict> {
  const verdict: BootVerdict = { ...mode, ok: false, accel: '', readyMs: undefined, commands: [] };
  const instance = await launch({ ...launchOptionsFor(mode, report, test.memory), ...(logDir ? { logDir, name: `${mode.firmware}-${mode.medium}` } : {}) });
  verdict.accel = instance.accel;
  verdict.consoleLog = instance.logFile;
  try {
    const ready = await instance.waitFor(test.ready, { timeout: test.timeout * 1000 });
    verdict.readyMs = ready.elapsedMs;
    for (const [index, command] of test.commands.entries()) {
      verdict.commands.push(await runCommand(instance, index + 1, command));
    }
    verdict.ok = verdict.commands.every((c) => c.ok);
    if (!verdict.ok) verdict.lastLines = instance.lastLines(20);
  } catch (error) {
    verdict.error = isDistroforgeError(error) ? `${error.code}: ${error.message.split('\n')[0]}` : String(error);
    verdict.lastLines = instance.lastLines(25);
  } finally {
    await instance.kill().catch(() => undefined);
  }
  return verdict;
}

type Instance = Awaited<ReturnType<typeof launch>>;

async function runCommand(instance: Instance, n: number, command: { run: string; expect: string; timeout: number }): Promise<CommandVerdict> {
  // The markers are typed with quotes split so the shell's echo of the typed line cannot match them.
  await instance.send(`echo '__DF_BEG''IN_${n}__'; ${command.run}; echo "__DF_E""ND_${n}_$?__"\n`);
  const result = await instance.waitFor(new RegExp(`__DF_BEGIN_${n}__\\r?\\n([\\s\\S]*?)__DF_END_${n}_(\\d+)__`), { timeout: command.timeout * 1000 });
  const output = (result.groups[0] ?? '').replace(/\r/g, '').trim();
  const expectation = /^\/(.*)\/([a-z]*)$/.exec(command.expect);
  const ok = expectation ? new RegExp(expectation[1] ?? '', expectation[2]).test(output) : output.includes(command.expect);
  return { run: command.run, expect: command.expect, ok, exitStatus: Number(result.groups[1]), output };
}
