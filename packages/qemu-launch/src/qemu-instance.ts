import type { Readable, Writable } from 'node:stream';
import { QemuExitedError, QemuNotRunningError, QemuTimeoutError, type QemuExit } from './errors.js';
import type { KernelBoot } from './pvh-kernel.js';
import type { QmpClient } from './qmp-client.js';
import type { MatchOptions, SerialConsole } from './serial-console.js';

export interface WaitForOptions extends MatchOptions {
  /** Milliseconds to wait (default 60 000). */
  timeout?: number;
  /**
   * Search the console from the start of the boot and leave the cursor where it is: for a milestone
   * watched beside the main expect sequence (a boot menu to answer while waiting for the shell).
   */
  fromStart?: boolean;
}

export interface WaitForResult {
  /** The matched text. */
  match: string;
  /** Capture groups, for a RegExp pattern. */
  groups: readonly (string | undefined)[];
  /** Milliseconds from launch until the matched text arrived on the console. */
  elapsedMs: number;
}

export interface ShutdownOptions {
  /** Ask the guest to power off (ACPI power button) and wait this long, ms (default 30 000). */
  timeout?: number;
  /** Skip the ACPI request and quit QEMU at once (default false). */
  skipPowerdown?: boolean;
  /** After `quit` via QMP, wait this long before SIGKILL, ms (default 5 000). */
  quitTimeout?: number;
}

export interface ShutdownResult {
  /** What ended QEMU: the guest powered off, QMP `quit`, SIGKILL, or it had already exited. */
  how: 'powerdown' | 'quit' | 'kill' | 'already-exited';
  exit: QemuExit;
}

/** What launch() hands over to the instance. */
export interface InstanceParts {
  pid: number | undefined;
  command: readonly string[];
  kernelBoot?: KernelBoot;
  accel: 'kvm' | 'tcg';
  accelReason: string;
  startedAt: number;
  serial: SerialConsole;
  stdin: Writable;
  qmp: QmpClient;
  exited: Promise<QemuExit>;
  stderrTail: () => string;
  kill: (signal: NodeJS.Signals) => void;
  logFile: string;
  stderrLogFile: string;
}

/** A running QEMU: its serial console, QMP, and its end. Returned by `launch()`. */
export class QemuInstance implements AsyncDisposable {
  /** Process id of QEMU. */
  readonly pid: number | undefined;
  /** The full command line that was run. */
  readonly command: readonly string[];
  /** Direct kernel boots: the kernel QEMU was given, and whether it enters through PVH (option `pvh`). */
  readonly kernelBoot: KernelBoot | undefined;
  /** The accelerator in use, and why it was chosen. */
  readonly accel: 'kvm' | 'tcg';
  readonly accelReason: string;
  /** The whole serial console, as received. */
  readonly logFile: string;
  /** QEMU's own messages (stderr). */
  readonly stderrLogFile: string;
  /** The QMP connection (already negotiated). */
  readonly qmp: QmpClient;
  /** Resolves when QEMU has exited and its logs are complete; never rejects. */
  readonly exited: Promise<QemuExit>;
  #parts: InstanceParts;
  #exit: QemuExit | undefined;
  #consoleStream: Readable | undefined;

  constructor(parts: InstanceParts) {
    this.#parts = parts;
    this.pid = parts.pid;
    this.command = parts.command;
    this.kernelBoot = parts.kernelBoot;
    this.accel = parts.accel;
    this.accelReason = parts.accelReason;
    this.logFile = parts.logFile;
    this.stderrLogFile = parts.stderrLogFile;
    this.qmp = parts.qmp;
    this.exited = parts.exited.then((exit) => (this.#exit = exit));
  }

  /** True until QEMU has exited. */
  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Milliseconds since launch. */
  elapsedMs(): number {
    return Math.round(performance.now() - this.#parts.startedAt);
  }

  /** The serial console as a byte stream (from the start of the boot, then live; ends when QEMU exits). */
  get console(): Readable {
    this.#consoleStream ??= this.#parts.serial.stream();
    return this.#consoleStream;
  }

  /** The serial console line by line, from the start of the boot until QEMU exits. */
  lines(): AsyncIterable<string> {
    return this.#parts.serial.lines();
  }

  /** The last console lines (an unfinished last line, such as a prompt, included). */
  lastLines(count = 20): string[] {
    return this.#parts.serial.lastLines(count);
  }

  /**
   * Waits until the console shows `pattern` after the previous match (expect-style: text printed
   * before this call counts, text already matched does not). Rejects with `QemuTimeoutError`
   * (carrying the last console lines) or `QemuExitedError` if QEMU ends first.
   */
  waitFor(pattern: string | RegExp, options: WaitForOptions = {}): Promise<WaitForResult> {
    const timeout = options.timeout ?? 60_000;
    const serial = this.#parts.serial;
    return new Promise<WaitForResult>((resolve, reject) => {
      let settled = false;
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        unwatch();
      };
      const check = () => {
        if (settled) return;
        const found = options.fromStart === true ? serial.firstMatch(pattern, options) : serial.take(pattern, options);
        if (found) {
          finish();
          resolve({
            match: found.match,
            groups: found.groups,
            elapsedMs: Math.round(found.at - this.#parts.startedAt),
          });
        } else if (serial.ended) {
          finish();
          void this.exited.then((exit) =>
            reject(this.#exitedError(`before the console showed ${describe(pattern)}`, exit)),
          );
        }
      };
      const timer = setTimeout(() => {
        if (settled) return;
        finish();
        reject(new QemuTimeoutError(describe(pattern), timeout, serial.lastLines(20), this.logFile));
      }, timeout);
      const unwatch = serial.watch(check);
      check();
    });
  }

  /**
   * When the console first showed `pattern` (ms since launch), searching from the start of the boot
   * without moving `waitFor`'s cursor; undefined if it has not (yet). For boot milestones: the
   * firmware's, the boot loader's, the kernel's and init's first words.
   */
  firstSeen(pattern: string | RegExp, options: MatchOptions = {}): { match: string; elapsedMs: number } | undefined {
    const found = this.#parts.serial.firstMatch(pattern, options);
    return found && { match: found.match, elapsedMs: Math.round(found.at - this.#parts.startedAt) };
  }

  /** Types `text` on the serial console (include `\n` to press Enter). */
  async send(text: string | Uint8Array): Promise<void> {
    const stdin = this.#parts.stdin;
    if (!this.running || stdin.destroyed || !stdin.writable)
      throw new QemuNotRunningError('send to the console', this.logFile);
    await new Promise<void>((resolve, reject) => {
      stdin.write(text, (error) =>
        error ? reject(new QemuNotRunningError('send to the console', this.logFile)) : resolve(),
      );
    });
  }

  /**
   * Ends QEMU as gently as it allows: ACPI power-off (the guest shuts down), then QMP `quit`,
   * then SIGKILL. Resolves with what did it.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<ShutdownResult> {
    if (!this.running) return { how: 'already-exited', exit: await this.exited };
    if (!options.skipPowerdown) {
      await this.qmp.execute('system_powerdown').catch(() => {});
      const exit = await within(this.exited, options.timeout ?? 30_000);
      if (exit) return { how: 'powerdown', exit };
    }
    await this.qmp.execute('quit').catch(() => {}); // QEMU may close the socket before it answers
    const exit = await within(this.exited, options.quitTimeout ?? 5_000);
    if (exit) return { how: 'quit', exit };
    return { how: 'kill', exit: await this.kill() };
  }

  /** Kills QEMU (SIGKILL unless told otherwise) and resolves when it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<QemuExit> {
    if (this.running) this.#parts.kill(signal);
    return this.exited;
  }

  /** `await using vm = await launch(...)`: quits QEMU at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ skipPowerdown: true });
  }

  #exitedError(during: string, exit: QemuExit): QemuExitedError {
    return new QemuExitedError(during, exit, this.#parts.stderrTail(), this.#parts.serial.lastLines(20), {
      stderrLog: this.stderrLogFile,
      consoleLog: this.logFile,
    });
  }
}

function describe(pattern: string | RegExp): string {
  return typeof pattern === 'string' ? JSON.stringify(pattern) : String(pattern);
}

/** The promise's value if it settles within `ms`, else undefined. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
