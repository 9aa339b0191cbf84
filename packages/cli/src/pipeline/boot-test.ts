import { chmod, mkdir, mkdtemp } from 'node:fs/promises';
import { CliError } from '../errors.js';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { execa } from 'execa';
import { launch, type KernelBoot, type LaunchOptions } from '@distroforge/qemu-launch';
import { isDistroforgeError } from '@distroforge/core';
import type { Profile } from '../profile/profile-schema.js';
import type { BuildReport } from './build-profile.js';
import { bootStages, type BootStage } from './boot-stages.js';
import { prepareShareTree, type ShareTree } from './share-tree.js';
import { withLiveKernelArgs } from '@distroforge/initramfs-cpio';
import type { BuildScope } from './build-stages.js';

export const MEDIA = ['cdrom', 'iso-disk', 'disk', 'disk-usb', 'direct', '9p', 'virtiofs'] as const;
export type Medium = (typeof MEDIA)[number];
export type TestSection = NonNullable<Profile['test']>;

/** Media that boot the staging tree shared from the host: no image at all. */
const isShared = (medium: Medium) => medium === '9p' || medium === 'virtiofs';
/** Media booted from the build's kernel and initramfs (no firmware boot loader). */
const isKernelBoot = (medium: Medium) => medium === 'direct' || isShared(medium);

/**
 * What a build must make for these boots alone (BuildOptions.only): only shares, `share` (kernel,
 * initramfs, the finished tree); with direct boots, `direct` (the root image too); none (every
 * output) when any boots an ISO or disk image, or no medium is named.
 */
export function buildScopeFor(media: readonly Medium[] | undefined): BuildScope | undefined {
  if (media === undefined || media.length === 0 || !media.every(isKernelBoot)) return undefined;
  return media.every(isShared) ? 'share' : 'direct';
}

/**
 * cdrom / iso-disk: the ISO as a CD-ROM or written to a plain disk (the USB-stick case);
 * disk / disk-usb: the disk image as a virtio disk or a USB-storage device; direct: kernel +
 * initramfs with the root image as a virtio disk; 9p / virtiofs: kernel + initramfs with the
 * staging tree shared from the host (virtiofs through virtiofsd). `persist` chains two boots of one disk copy: the first writes a file and
 * powers off, the second must find it.
 */
export type BootMode = {
  firmware: 'bios' | 'uefi' | 'uefi-secureboot';
  medium: Medium;
  persist?: { image: string; step: 'write' | 'check'; token: string };
};

/** One test command: it passes when its output matches `expect` AND it exits 0. */
export interface CommandVerdict {
  run: string;
  expect: string;
  ok: boolean;
  /** Whether the output matched `expect`, whatever the exit status. */
  matched: boolean;
  exitStatus: number;
  output: string;
}

export interface BootVerdict extends BootMode {
  ok: boolean;
  accel: string;
  /** Milliseconds from QEMU start to the readiness text. */
  readyMs: number | undefined;
  /** Where the time went (firmware, boot loader, kernel, initramfs, system), from console milestones; on failure, the stages completed. */
  stages: BootStage[];
  /** Milliseconds from the readiness text to the end of the login, the checks and the persistence step (once ready). */
  checksMs?: number;
  /** Milliseconds from launching QEMU to stopping it: the whole boot. */
  ms?: number;
  commands: CommandVerdict[];
  error?: string;
  lastLines?: string[];
  consoleLog?: string;
  /** For chained disk boots: whether the file written in the first boot was written / found. */
  persistence?: 'written' | 'found' | 'missing';
  /** The boot loader's menu showed and Enter was pressed there (its default entry booted at once). */
  menuAnswered?: boolean;
  /** Kernel boots: how the kernel was entered (`describeKernelBoot`). */
  kernelBoot?: string;
}

/**
 * The boot modes a profile is tested in: every firmware it targets, from CD-ROM for an ISO, and
 * for a disk image as a virtio disk and then as a USB-storage device (direct for initramfs-only systems).
 */
export function bootModes(
  profile: { firmware: readonly Profile['firmware'][number][] },
  report: BuildReport,
  media?: readonly Medium[],
): BootMode[] {
  const kinds = new Set(report.outputs.map((o) => o.kind));
  const wanted = media ?? [
    ...(kinds.has('iso') ? (['cdrom'] as const) : []),
    ...(kinds.has('disk') ? (['disk', 'disk-usb'] as const) : []),
  ];
  if (wanted.length === 0) return [{ firmware: 'bios', medium: 'direct' }];
  const modes: BootMode[] = [];
  for (const medium of wanted) {
    if (isKernelBoot(medium)) modes.push({ firmware: 'bios', medium });
    else for (const firmware of profile.firmware) modes.push({ firmware, medium });
  }
  return modes;
}

/**
 * Chains each firmware's virtio-disk and USB-disk boots on one private copy of the disk image:
 * the first boot writes a file, the second must find it (the root is persistent). Copies live in
 * `dir`; the built image is never written to.
 */
export async function chainDiskBoots(modes: BootMode[], report: BuildReport, dir: string): Promise<BootMode[]> {
  const disk = report.outputs.find((o) => o.kind === 'disk');
  if (!disk) return modes;
  await mkdir(dir, { recursive: true });
  const token = `df-persist-${process.pid}-${Date.now()}`;
  const chained = modes.map((m) => ({ ...m }));
  for (const firmware of new Set(chained.map((m) => m.firmware))) {
    const first = chained.find((m) => m.firmware === firmware && m.medium === 'disk');
    const second = chained.find((m) => m.firmware === firmware && m.medium === 'disk-usb');
    if (!first || !second) continue;
    const image = join(dir, `${firmware}-persist${extname(disk.file)}`);
    await execa('cp', ['--sparse=always', '--reflink=auto', disk.file, image]);
    // Outputs are read-only (0444): the copy the two boots write must be writable by its owner,
    // which root would not notice.
    await chmod(image, 0o644);
    first.persist = { image, step: 'write', token };
    second.persist = { image, step: 'check', token };
  }
  return chained;
}

/**
 * QEMU options for one boot mode of a build (used by `test` and `run`); the 9p medium needs the
 * share tree `prepareShareTree` made of the build's staging root.
 */
export function launchOptionsFor(
  mode: BootMode,
  report: BuildReport,
  memory: number,
  cpus = 2,
  share?: ShareTree,
): LaunchOptions {
  const iso = report.outputs.find((o) => o.kind === 'iso')?.file;
  const base: LaunchOptions = {
    memory,
    cpus,
    firmware: mode.firmware === 'bios' ? 'bios' : 'uefi',
    secureBoot: mode.firmware === 'uefi-secureboot',
    machine: 'q35',
  };
  if (isKernelBoot(mode.medium)) {
    const d = report.direct;
    if (!d) throw new CliError('ERR_USAGE', 'this build has no kernel and initramfs to boot directly');
    if (isShared(mode.medium)) {
      const type = mode.medium === 'virtiofs' ? 'virtiofs' : '9p';
      if (!d.stagingRoot)
        throw new CliError('ERR_USAGE', `this build has no staging root to share over ${type}`, {
          hint: 'use --medium direct',
        });
      const append = withLiveKernelArgs(d.append, {
        device: undefined,
        image: undefined,
        layers: undefined,
        root: type,
        tag: 'rootfs',
      }).join(' ');
      if (!share) throw new Error(`the ${type} medium needs the share tree of the staging root (prepareShareTree)`);
      return {
        ...base,
        kernel: d.kernel,
        initrd: d.initrd,
        append,
        pvh: true,
        shares: [
          type === '9p'
            ? { path: share.path, tag: 'rootfs', type, readOnly: true, securityModel: 'passthrough' }
            : { path: share.path, tag: 'rootfs', type, readOnly: true },
        ],
        ...(share.runThrough ? { runThrough: share.runThrough } : {}),
      };
    }
    if (report.only === 'share')
      throw new CliError('ERR_USAGE', 'this build made no root image to boot directly (it was built for 9p/virtiofs)', {
        hint: 'boot it with --medium 9p, or build the image too (--medium direct)',
      });
    const images = d.rootImage ? [d.rootImage, ...(d.layers ?? [])] : [];
    return {
      ...base,
      kernel: d.kernel,
      initrd: d.initrd,
      append: d.append,
      pvh: true,
      ...(images.length ? { disks: images.map((path) => ({ path, readOnly: true, format: 'raw' as const })) } : {}),
    };
  }
  if (mode.medium === 'disk' || mode.medium === 'disk-usb') {
    const disk = report.outputs.find((o) => o.kind === 'disk')?.file;
    if (!disk)
      throw new CliError('ERR_USAGE', 'this build produced no disk image', {
        hint: "add disk to the profile's outputs",
      });
    const format = disk.endsWith('.qcow2') ? 'qcow2' : 'raw';
    const path = mode.persist?.image ?? disk;
    const bus = mode.medium === 'disk' ? 'virtio' : 'usb';
    return {
      ...base,
      disks: [
        {
          path,
          format,
          interface: bus,
          snapshot: mode.persist === undefined,
          ...(bus === 'usb' ? { removable: true } : {}),
        },
      ],
    };
  }
  if (!iso) throw new CliError('ERR_USAGE', 'this build produced no ISO', { hint: "add iso to the profile's outputs" });
  return mode.medium === 'cdrom'
    ? { ...base, iso }
    : { ...base, disks: [{ path: iso, format: 'raw', snapshot: true }] };
}

/** Boots one mode, waits for readiness, runs the profile's test commands, and always stops QEMU. */
export async function bootAndCheck(
  mode: BootMode,
  report: BuildReport,
  test: TestSection,
  logDir?: string,
  options: { cpus?: number } = {},
): Promise<BootVerdict> {
  const share = await shareTreeFor(mode, report, logDir);
  try {
    return await bootAndCheckWith(mode, report, test, logDir, options, share);
  } finally {
    await share?.release();
  }
}

/** The 9p or virtiofs medium's share tree (see `prepareShareTree`); none for other media. */
export async function shareTreeFor(
  mode: BootMode,
  report: BuildReport,
  logDir?: string,
): Promise<ShareTree | undefined> {
  const stagingRoot = report.direct?.stagingRoot;
  if (!isShared(mode.medium) || stagingRoot === undefined) return undefined;
  // virtiofsd serves the tree as it finds it on disk: an ordinary user's share tree gets the
  // image's owners only inside the user namespace, which QEMU enters (runThrough) and virtiofsd does not.
  if (mode.medium === 'virtiofs' && process.getuid?.() !== 0)
    throw new CliError('ERR_USAGE', 'the virtiofs medium needs root (virtiofsd would show the tree with your ids)', {
      value: mode.medium,
      hint: 'use --medium 9p: QEMU serves it from a user namespace with the image owners',
    });
  const dir = logDir ?? (await mkdtemp(join(tmpdir(), 'distroforge-share-')));
  await mkdir(dir, { recursive: true });
  return prepareShareTree(stagingRoot, { logFile: join(dir, 'share-tree.log') });
}

async function bootAndCheckWith(
  mode: BootMode,
  report: BuildReport,
  test: TestSection,
  logDir: string | undefined,
  options: { cpus?: number },
  share: ShareTree | undefined,
): Promise<BootVerdict> {
  const verdict: BootVerdict = { ...mode, ok: false, accel: '', readyMs: undefined, stages: [], commands: [] };
  const started = performance.now();
  const instance = await launch({
    ...launchOptionsFor(mode, report, test.memory, options.cpus, share),
    ...(logDir ? { logDir, name: `${mode.firmware}-${mode.medium}` } : {}),
  });
  verdict.accel = instance.accel;
  verdict.consoleLog = instance.logFile;
  if (instance.kernelBoot) verdict.kernelBoot = describeKernelBoot(instance.kernelBoot);
  const menu = isKernelBoot(mode.medium) ? undefined : answerBootMenu(instance, test.timeout * 1000);
  let checksStarted: number | undefined;
  try {
    const ready = await instance.waitFor(test.ready, { timeout: test.timeout * 1000 });
    verdict.readyMs = ready.elapsedMs;
    checksStarted = performance.now();
    if (test.login) await logIn(instance, test.login);
    for (const [index, command] of test.commands.entries()) {
      verdict.commands.push(await runCommand(instance, index + 1, command));
    }
    verdict.ok = verdict.commands.every((c) => c.ok);
    if (verdict.ok && mode.persist) verdict.ok = await persistenceStep(instance, mode.persist, verdict);
    if (!verdict.ok) verdict.lastLines = instance.lastLines(20);
  } catch (error) {
    verdict.error = isDistroforgeError(error) ? `${error.code}: ${error.message.split('\n')[0]}` : String(error);
    verdict.lastLines = instance.lastLines(25);
  } finally {
    if (checksStarted !== undefined) verdict.checksMs = Math.round(performance.now() - checksStarted);
    verdict.stages = bootStages((pattern) => instance.firstSeen(pattern)?.elapsedMs, verdict.readyMs);
    await instance.kill().catch(() => undefined);
    verdict.ms = Math.round(performance.now() - started);
    if (menu) verdict.menuAnswered = await menu;
  }
  return verdict;
}

type Instance = Awaited<ReturnType<typeof launch>>;

/**
 * How a kernel boot entered its kernel, for --verbose: through PVH (the ELF kernel taken out of the
 * bzImage: no self-decompression under TCG), or the bzImage as given and why.
 */
export function describeKernelBoot(boot: KernelBoot): string {
  return boot.entry === 'pvh'
    ? `PVH entry of the ${boot.compressor} bzImage's ELF kernel (${boot.cached ? 'cached' : 'extracted'}: ${boot.kernel})`
    : `the bzImage as given (no PVH boot: ${boot.reason})`;
}

/** GRUB's menu help line, printed (on its own line) once the menu is drawn and reading keys. */
const GRUB_MENU = /Press enter to boot the selected OS/;

/**
 * Presses Enter once GRUB's menu shows, so the default entry boots at once instead of after the
 * profile's boot.timeout (3 s by default, ~10% of a UEFI CD boot under TCG); the image keeps its
 * timeout. One key, sent as the menu appears (its countdown has seconds left), so no later prompt
 * sees it. Resolves false when the menu never showed (timeout 0, another boot loader) or QEMU ended
 * first.
 */
async function answerBootMenu(instance: Instance, timeoutMs: number): Promise<boolean> {
  try {
    await instance.waitFor(GRUB_MENU, { timeout: timeoutMs, fromStart: true });
    await instance.send('\r');
    return true;
  } catch {
    return false;
  }
}

/** Answers a getty/login prompt: user name, the password if asked, then waits for the shell prompt. */
async function logIn(instance: Instance, login: NonNullable<NonNullable<Profile['test']>['login']>): Promise<void> {
  await instance.send(`${login.user}\n`);
  await instance.waitFor(login.password === undefined ? login.prompt : /[Pp]assword: ?$/m, {
    timeout: 60_000,
    unfinishedLine: true,
  });
  if (login.password !== undefined) {
    await instance.send(`${login.password}\n`);
    await instance.waitFor(login.prompt, { timeout: 60_000 });
  }
}

const PERSIST_FILE = '/var/lib/distroforge-persist';

/** Writes the token and powers off cleanly (first boot), or checks the token is there (second boot). */
async function persistenceStep(
  instance: Instance,
  persist: NonNullable<BootMode['persist']>,
  verdict: BootVerdict,
): Promise<boolean> {
  if (persist.step === 'check') {
    const check = await runCommand(instance, 900, { run: `cat ${PERSIST_FILE}`, expect: persist.token, timeout: 60 });
    verdict.persistence = check.ok ? 'found' : 'missing';
    if (!check.ok)
      verdict.error = `${PERSIST_FILE} written in the previous boot is missing: the root is not persistent`;
    return check.ok;
  }
  const write = await runCommand(instance, 901, {
    run: `mkdir -p /var/lib && echo ${persist.token} > ${PERSIST_FILE} && sync && cat ${PERSIST_FILE}`,
    expect: persist.token,
    timeout: 60,
  });
  if (!write.ok) {
    verdict.error = `could not write ${PERSIST_FILE}: ${write.output.slice(0, 200)}`;
    return false;
  }
  // A clean power-off, so the second boot also shows the filesystem was left consistent.
  await instance.send('poweroff\n');
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([
    instance.exited.then(() => true),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), 120_000))),
  ]);
  clearTimeout(timer);
  if (!exited) {
    verdict.error = 'the guest did not power off within 120 s';
    return false;
  }
  verdict.persistence = 'written';
  return true;
}

async function runCommand(
  instance: Instance,
  n: number,
  command: { run: string; expect: string; timeout: number },
): Promise<CommandVerdict> {
  // The markers are typed with quotes split so the shell's echo of the typed line cannot match them.
  await instance.send(`echo '__DF_BEG''IN_${n}__'; ${command.run}; echo "__DF_E""ND_${n}_$?__"\n`);
  const result = await instance.waitFor(new RegExp(`__DF_BEGIN_${n}__\\r?\\n([\\s\\S]*?)__DF_END_${n}_(\\d+)__`), {
    timeout: command.timeout * 1000,
  });
  const output = (result.groups[0] ?? '').replace(/\r/g, '').trim();
  // Only JavaScript's flags after the last slash: "/bin/busybox" is a path to look for, not /bin/ with flags "busybox".
  const expectation = /^\/(.*)\/([dgimsuvy]*)$/.exec(command.expect);
  const matched = expectation
    ? new RegExp(expectation[1] ?? '', expectation[2]).test(output)
    : output.includes(command.expect);
  const exitStatus = Number(result.groups[1]);
  // The status counts too: `command -v a b c` prints the paths it finds and fails for the rest.
  return { run: command.run, expect: command.expect, ok: matched && exitStatus === 0, matched, exitStatus, output };
}

/** Why a test command failed, for the verdict's message: its exit status, its output, or both. */
export function describeCheckFailure(check: CommandVerdict): string {
  const reasons = [
    ...(check.exitStatus === 0 ? [] : [`exited with status ${check.exitStatus}`]),
    ...(check.matched
      ? []
      : [`expected ${JSON.stringify(check.expect)}, got ${JSON.stringify(check.output.slice(0, 200))}`]),
  ];
  return `check "${check.run}" ${reasons.join('; ')}`;
}
