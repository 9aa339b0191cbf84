import { isDistroforgeError, parseCommandLine, type FlagValues } from '@distroforge/core';
import { launch } from './launch.js';
import type { LaunchOptions } from './options.js';
import type { QemuInstance } from './qemu-instance.js';

export const USAGE = `Usage: qemu-launch [boot source] --expect TEXT [--timeout SECONDS]
       qemu-launch [boot source] --interactive
       qemu-launch -h|--help

Boot sources (combine as needed):
  --kernel FILE --initrd FILE --append "CMDLINE"   direct kernel boot
  --iso FILE                                       CD-ROM image
  --disk FILE                                      virtio disk image (repeatable)
Machine:
  --uefi             UEFI firmware (OVMF) instead of BIOS
  --secure-boot      UEFI with Secure Boot enforced (implies --uefi, q35)
  --machine q35|pc   default q35
  --memory SIZE      MiB or e.g. 2G (default 512)
  --cpus N           default 1
  --accel auto|kvm|tcg   default auto (probes KVM, falls back to TCG)
  --snapshot         discard disk writes
  --display none|gtk|sdl|...   default none (headless)
  --log-dir DIR      where the console and stderr logs go (default: a temp dir)
Checks:
  --expect TEXT      exit 0 once the console shows TEXT, printing how long it took
  --timeout SECONDS  give up waiting for TEXT (default 120)
  --interactive      attach the serial console to this terminal (Ctrl-] quits)

Exit codes: 0 text seen (or interactive session ended), 1 timeout, 2 QEMU exited first,
3 cannot start (missing tool, firmware or file; invalid option), 64 usage error.`;

/** The flags (exported for the test that checks the usage names exactly these). */
export const FLAGS = {
  kernel: { type: 'string' },
  initrd: { type: 'string' },
  append: { type: 'string' },
  iso: { type: 'string' },
  disk: { type: 'string', multiple: true },
  uefi: { type: 'boolean' },
  'secure-boot': { type: 'boolean' },
  machine: { type: 'string' },
  memory: { type: 'string' },
  cpus: { type: 'string' },
  accel: { type: 'string' },
  snapshot: { type: 'boolean' },
  display: { type: 'string' },
  'log-dir': { type: 'string' },
  expect: { type: 'string' },
  timeout: { type: 'string' },
  interactive: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
}

/** The qemu-launch command; resolves with the process exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
): Promise<number> {
  let values: FlagValues<typeof FLAGS>;
  try {
    ({ values } = parseCommandLine(argv, { flags: FLAGS, maxPositionals: 0 }));
  } catch (error) {
    if (!isDistroforgeError(error) || error.code !== 'ERR_USAGE') throw error;
    io.stderr.write(`qemu-launch: ${error.describe()}\n\n${USAGE}\n`);
    return 64;
  }
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.expect === undefined && !values.interactive) {
    io.stderr.write(`qemu-launch: give --expect TEXT or --interactive\n\n${USAGE}\n`);
    return 64;
  }
  const timeoutSeconds = Number(values.timeout ?? '120');
  if (!(timeoutSeconds > 0)) {
    io.stderr.write(`qemu-launch: --timeout must be a positive number of seconds, got ${values.timeout}\n`);
    return 64;
  }

  const secureBoot = values['secure-boot'] === true;
  const options: LaunchOptions = {
    ...(values.kernel !== undefined && { kernel: values.kernel }),
    ...(values.initrd !== undefined && { initrd: values.initrd }),
    ...(values.append !== undefined && { append: values.append }),
    ...(values.iso !== undefined && { iso: values.iso }),
    disks: values.disk ?? [],
    firmware: values.uefi || secureBoot ? 'uefi' : 'bios',
    secureBoot,
    ...(values.machine !== undefined && { machine: values.machine as 'q35' }),
    ...(values.memory !== undefined && { memory: /^\d+$/.test(values.memory) ? Number(values.memory) : values.memory }),
    ...(values.cpus !== undefined && { cpus: Number(values.cpus) }),
    ...(values.accel !== undefined && { accel: values.accel as 'auto' }),
    snapshot: values.snapshot === true,
    ...(values.display !== undefined && { display: values.display }),
    ...(values['log-dir'] !== undefined && { logDir: values['log-dir'] }),
  };

  let vm: QemuInstance | undefined;
  try {
    vm = await launch(options);
    if (values.interactive) return await attach(vm, io);
    const expect = values.expect as string;
    const found = await vm.waitFor(expect, { timeout: timeoutSeconds * 1000 });
    io.stdout.write(
      `found ${JSON.stringify(expect)} after ${(found.elapsedMs / 1000).toFixed(1)} s (accel ${vm.accel}: ${vm.accelReason})\nconsole log: ${vm.logFile}\n`,
    );
    return 0;
  } catch (error) {
    if (!isDistroforgeError(error)) throw error;
    io.stderr.write(`qemu-launch: ${error.describe()}\n`);
    if (error.code === 'ERR_QEMU_TIMEOUT') return 1;
    if (error.code === 'ERR_QEMU_EXITED') return 2;
    return 3;
  } finally {
    await vm?.shutdown({ skipPowerdown: true });
  }
}

/** Connects the terminal to the serial console until QEMU exits or the user presses Ctrl-]. */
async function attach(vm: QemuInstance, io: CliIo): Promise<number> {
  io.stderr.write(`qemu-launch: console attached (accel ${vm.accel}); Ctrl-] quits. Log: ${vm.logFile}\n`);
  const raw = io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  if (raw) io.stdin.setRawMode?.(true);
  vm.console.pipe(io.stdout, { end: false });
  const onInput = (chunk: Buffer) => {
    if (chunk.includes(0x1d)) void vm.shutdown({ skipPowerdown: true });
    else void vm.send(chunk).catch(() => {});
  };
  io.stdin.on('data', onInput);
  io.stdin.resume();
  try {
    const exit = await vm.exited;
    return exit.exitCode ?? 2;
  } finally {
    io.stdin.off('data', onInput);
    io.stdin.pause();
    if (raw) io.stdin.setRawMode?.(false);
  }
}
