import { findTool, knownTools, which } from '@distroforge/core';
import { execa } from 'execa';
import { createWriteStream, type WriteStream } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildQemuArgs } from './build-qemu-args.js';
import { ConsoleFileTail } from './console-file-tail.js';
import {
  KvmUnavailableError,
  QemuExitedError,
  QemuInputMissingError,
  QemuTimeoutError,
  type QemuExit,
} from './errors.js';
import { checkOvmfFiles, findOvmf, type OvmfFiles } from './find-ovmf.js';
import { resolveLaunchOptions, type LaunchOptions, type ResolvedLaunchOptions } from './options.js';
import { probeKvm, type AccelChoice } from './probe-kvm.js';
import { pvhKernel, type KernelBoot } from './pvh-kernel.js';
import { QemuInstance } from './qemu-instance.js';
import { QmpClient } from './qmp-client.js';
import { SerialConsole } from './serial-console.js';
import { findVirtiofsd, startVirtiofsd, type RunningVirtiofsd } from './virtiofsd.js';

const STDERR_TAIL = 8 * 1024;

/**
 * Starts QEMU and resolves once it is up (QMP answered), with the serial console attached.
 * Throws ToolMissingError (QEMU, OVMF, virtiofsd), QemuOptionsError, QemuInputMissingError,
 * KvmUnavailableError, or QemuExitedError/QemuTimeoutError when QEMU fails to start.
 */
export async function launch(input: LaunchOptions): Promise<QemuInstance> {
  const given = resolveLaunchOptions(input);
  await checkInputs(given);
  const kernelBoot = await kernelBootFor(given);
  const options = kernelBoot ? { ...given, kernel: kernelBoot.kernel } : given;
  const qemu = await findTool(
    options.qemu === undefined ? knownTools.qemu : { ...knownTools.qemu, names: [options.qemu] },
  );
  const ovmf = options.firmware === 'uefi' ? await firmwareFor(options) : undefined;
  const virtiofsd = options.shares.some((s) => s.type === 'virtiofs') ? await findVirtiofsd() : undefined;
  const accel = await chooseAccel(options, qemu.path);

  const logDir = resolve(options.logDir ?? (await mkdtemp(join(tmpdir(), 'qemu-launch-'))));
  await mkdir(logDir, { recursive: true });
  const logFile = join(logDir, `${options.name}.console.log`);
  const stderrLogFile = join(logDir, `${options.name}.stderr.log`);
  // Sockets and the private UEFI vars live in a run directory removed when QEMU exits.
  const runDir = await mkdtemp(join(tmpdir(), 'qemu-run-'));
  const helpers: RunningVirtiofsd[] = [];
  let qmpServer: Server | undefined;
  const cleanup = async () => {
    qmpServer?.close();
    await Promise.all(helpers.map((h) => h.stop().catch(() => {})));
    await rm(runDir, { recursive: true, force: true });
  };

  let instanceStarted = false;
  try {
    let uefi: { code: string; vars: string } | undefined;
    if (ovmf) {
      const vars = options.uefiVars ?? join(runDir, 'OVMF_VARS.fd');
      if (options.uefiVars === undefined) await copyFile(ovmf.vars, vars);
      else await access(vars).catch(() => copyFile(ovmf.vars, vars));
      uefi = { code: ovmf.code, vars };
    }
    const virtiofsSockets = new Map<string, string>();
    for (const [i, share] of options.shares.entries()) {
      if (share.type !== 'virtiofs' || virtiofsd === undefined) continue;
      const helper = await startVirtiofsd(
        virtiofsd,
        resolve(share.path),
        join(runDir, `virtiofs${i}.sock`),
        join(logDir, `${options.name}.virtiofsd-${share.tag}.log`),
        share.readOnly,
      );
      helpers.push(helper);
      virtiofsSockets.set(share.tag, helper.socket);
    }

    const qmpSocket = join(runDir, 'qmp.sock');
    qmpServer = createServer();
    const qmpConnection = new Promise<Socket>((resolveSocket) => qmpServer?.once('connection', resolveSocket));
    await new Promise<void>((resolveListen, rejectListen) => {
      qmpServer?.once('error', rejectListen);
      qmpServer?.listen(qmpSocket, () => resolveListen());
    });

    const args = buildQemuArgs(options, { accel: accel.accel, qmpSocket, ...(uefi ? { uefi } : {}), virtiofsSockets });
    // setpriv makes the kernel kill QEMU if this process dies without cleaning up (SIGKILL, crash).
    const setpriv = await which('setpriv');
    // The prefix goes first: entering a user namespace would clear the parent-death signal.
    const [file, ...argv] = [
      ...(options.runThrough ?? []),
      ...(setpriv ? [setpriv, '--pdeathsig', 'KILL'] : []),
      qemu.path,
      ...args,
    ] as [string, ...string[]];
    // QEMU's stdout (the serial console) is the console log file itself, followed from here: a
    // file never makes QEMU wait, so a busy event loop here cannot cost the guest console bytes.
    const consoleFile = await openForChild(logFile);
    const startedAt = performance.now();
    let child: ReturnType<typeof startQemu>;
    try {
      child = startQemu(file, argv, consoleFile);
    } finally {
      consoleFile.destroy(); // QEMU holds its own descriptor
    }

    const serial = new SerialConsole();
    const tail = await ConsoleFileTail.follow(logFile, (chunk) => serial.push(chunk));
    const stderrLog = createWriteStream(stderrLogFile);
    let stderrTail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderrLog.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.stdin.on('error', () => {}); // EPIPE after QEMU exits surfaces through send()

    const exited: Promise<QemuExit> = child.then(async (result) => {
      if (result.exitCode === undefined && result.signal === undefined) stderrTail += `${result.shortMessage}\n`;
      const readFailure = await tail.finish();
      if (readFailure) stderrTail += `reading the console log ${logFile} failed: ${readFailure.message}\n`;
      serial.end();
      await closeStream(stderrLog);
      await cleanup();
      return { exitCode: result.exitCode, signal: result.signal };
    });

    const logs = { stderrLog: stderrLogFile, consoleLog: logFile };
    const qmp = await startup(qmpConnection, exited, options.startTimeout, {
      onExit: (exit) => new QemuExitedError('while starting', exit, stderrTail, serial.lastLines(20), logs),
      onTimeout: () =>
        new QemuTimeoutError('QEMU to answer on QMP', options.startTimeout, serial.lastLines(20), stderrLogFile),
      kill: () => child.kill('SIGKILL'),
    });
    instanceStarted = true;
    return new QemuInstance({
      pid: child.pid,
      command: [qemu.path, ...args],
      ...(kernelBoot ? { kernelBoot } : {}),
      accel: accel.accel,
      accelReason: accel.reason,
      startedAt,
      serial,
      stdin: child.stdin,
      qmp,
      exited,
      stderrTail: () => stderrTail,
      kill: (signal) => child.kill(signal),
      logFile,
      stderrLogFile,
    });
  } finally {
    if (!instanceStarted) await cleanup();
  }
}

/**
 * A new (truncated) file as an open stream: spawn gives a stream's descriptor to the child itself,
 * so the child writes the file directly, with nothing of this process in between.
 */
async function openForChild(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  await once(stream, 'open');
  return stream;
}

/** QEMU with its serial console (stdout) written straight to `console`, stdin and stderr piped. */
function startQemu(file: string, argv: string[], console: WriteStream) {
  return execa(file, argv, {
    stdin: 'pipe',
    stdout: console,
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
  });
}

/** How a direct boot enters its kernel: through PVH when asked and possible, else as given. */
async function kernelBootFor(o: ResolvedLaunchOptions): Promise<KernelBoot | undefined> {
  if (o.kernel === undefined) return undefined;
  if (!o.pvh) return { entry: 'as-given', kernel: o.kernel, reason: 'pvh not requested' };
  return pvhKernel(o.kernel, o.kernelCache);
}

/** Waits for QEMU to connect to our QMP server and negotiate, or to exit, or for the timeout. */
async function startup(
  connection: Promise<Socket>,
  exited: Promise<QemuExit>,
  timeoutMs: number,
  on: { onExit: (exit: QemuExit) => Error; onTimeout: () => Error; kill: () => void },
): Promise<QmpClient> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (resolveTimeout) => (timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs)),
  );
  const ready = connection.then(async (socket) => {
    const client = new QmpClient(socket);
    await client.negotiate();
    return client;
  });
  ready.catch(() => {});
  try {
    const first = await Promise.race([ready, exited, timedOut]);
    if (first instanceof QmpClient) return first;
    if (first === 'timeout') {
      on.kill();
      await exited;
      throw on.onTimeout();
    }
    throw on.onExit(first);
  } catch (error) {
    // A QMP failure during the handshake: QEMU is exiting; report how it ended.
    if (error instanceof Error && 'code' in error && error.code === 'ERR_QMP') {
      on.kill();
      throw on.onExit(await exited);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function checkInputs(o: ResolvedLaunchOptions): Promise<void> {
  const files: [string, string | undefined][] = [
    ['kernel', o.kernel],
    ['initrd', o.initrd],
    ['ISO image', o.iso],
    ...o.disks.map((d, i): [string, string] => [`disk image ${i}`, d.path]),
  ];
  for (const [what, path] of files) {
    if (path !== undefined && !(await isKind(path, 'file'))) throw new QemuInputMissingError(what, path);
  }
  for (const share of o.shares) {
    if (!(await isKind(share.path, 'dir')))
      throw new QemuInputMissingError(`shared directory (${share.tag})`, share.path);
  }
}

async function isKind(path: string, kind: 'file' | 'dir'): Promise<boolean> {
  try {
    const info = await stat(path);
    return kind === 'dir' ? info.isDirectory() : info.isFile() || info.isBlockDevice();
  } catch {
    return false;
  }
}

function firmwareFor(o: ResolvedLaunchOptions): Promise<OvmfFiles> {
  if (o.ovmfCode !== undefined || o.ovmfVars !== undefined) {
    return findOvmf({ secureBoot: o.secureBoot }).then(
      (found) => checkOvmfFiles({ code: o.ovmfCode ?? found.code, vars: o.ovmfVars ?? found.vars }),
      () => checkOvmfFiles({ code: o.ovmfCode ?? '', vars: o.ovmfVars ?? '' }),
    );
  }
  return findOvmf({ secureBoot: o.secureBoot });
}

/** The accelerator to use: as asked, or for `auto` KVM if the probe says it works, else TCG. */
export async function chooseAccel(
  o: Pick<ResolvedLaunchOptions, 'accel' | 'kvmProbeTimeout'>,
  qemu: string,
): Promise<AccelChoice> {
  if (o.accel === 'tcg') return { accel: 'tcg', reason: 'TCG requested' };
  if (o.accel === 'kvm') {
    try {
      await access('/dev/kvm');
    } catch {
      throw new KvmUnavailableError('/dev/kvm does not exist');
    }
    return { accel: 'kvm', reason: 'KVM requested' };
  }
  const probe = await probeKvm(qemu, o.kvmProbeTimeout);
  return probe.usable ? { accel: 'kvm', reason: probe.reason } : { accel: 'tcg', reason: `TCG: ${probe.reason}` };
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolveClose) => stream.end(() => resolveClose()));
}
