import {
  DistroforgeError,
  optionIssuesMessage,
  type ErrorDetails,
  type OptionIssue,
  type OptionsErrorDetails,
} from '@distroforge/core';

/** Stable error codes of this package (listed in the README; core's tool codes pass through). */
export const qemuErrorCodes = [
  'ERR_QEMU_OPTIONS',
  'ERR_QEMU_INPUT_MISSING',
  'ERR_QEMU_EXITED',
  'ERR_QEMU_TIMEOUT',
  'ERR_QEMU_NOT_RUNNING',
  'ERR_QMP',
  'ERR_KVM_UNAVAILABLE',
  'ERR_QEMU_HELPER_FAILED',
] as const;

export type QemuErrorCode = (typeof qemuErrorCodes)[number];

// The hint of each code, unless the error names something more specific (its log files).
const hints: Record<QemuErrorCode, string> = {
  ERR_QEMU_OPTIONS: 'check the options passed to launch()',
  ERR_QEMU_INPUT_MISSING: 'build or fetch the file first, or fix the path',
  ERR_QEMU_EXITED: "read QEMU's stderr and console logs (named in the error)",
  ERR_QEMU_TIMEOUT: 'read the console log (path) to see how far the guest got',
  ERR_QEMU_NOT_RUNNING: 'await handle.exited to see how QEMU ended',
  ERR_QMP: 'see https://qemu-project.gitlab.io/qemu/interop/qemu-qmp-ref.html',
  ERR_KVM_UNAVAILABLE:
    "use accel: 'auto' (falls back to TCG) or 'tcg'; for KVM, load kvm_intel/kvm_amd and give this user access to /dev/kvm",
  ERR_QEMU_HELPER_FAILED: "read the helper's log (path)",
};

/** Base of every error this package throws on purpose: its code's hint unless it gives another. */
export class QemuError extends DistroforgeError {
  declare readonly code: QemuErrorCode;
  constructor(code: QemuErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { ...details, hint: details.hint ?? hints[code] });
  }
}

/** The options error naming every problem found (`value`: the first one's key). */
export function invalidLaunchOptions(issues: readonly OptionIssue[]): QemuOptionsError {
  return new QemuOptionsError(optionIssuesMessage(issues), { value: issues[0]?.key, issues });
}

/** Launch options failed validation (schema or semantic rules). `value` is the offending key path. */
export class QemuOptionsError extends QemuError {
  /** Every problem found, not just the first. */
  readonly issues: readonly OptionIssue[];
  constructor(message: string, details: OptionsErrorDetails = {}) {
    const { issues, ...rest } = details;
    super('ERR_QEMU_OPTIONS', message, rest);
    this.issues = issues ?? [{ key: typeof details.value === 'string' ? details.value : '', message }];
  }
}

/** A file or directory named in the options (kernel, initrd, ISO, disk, share) does not exist. */
export class QemuInputMissingError extends QemuError {
  constructor(what: string, path: string) {
    super('ERR_QEMU_INPUT_MISSING', `${what} not found: ${path}`, {
      path,
      value: what,
      hint: `build or fetch the ${what} first, or fix the path`,
    });
  }
}

/** What QEMU's exit looked like. */
export interface QemuExit {
  /** Exit code, when QEMU exited by itself. */
  exitCode: number | undefined;
  /** Signal name, when QEMU was killed by a signal. */
  signal: string | undefined;
}

/**
 * QEMU exited when it was expected to keep running: while starting (bad option, missing device,
 * unreadable image) or while `waitFor` was still waiting. Carries QEMU's stderr and console tails.
 */
export class QemuExitedError extends QemuError {
  readonly exit: QemuExit;
  readonly stderrTail: string;
  readonly lastLines: readonly string[];
  constructor(
    during: string,
    exit: QemuExit,
    stderrTail: string,
    lastLines: readonly string[],
    logs: { stderrLog: string; consoleLog: string },
  ) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
    const parts = [`QEMU ${how} ${during}`];
    if (stderrTail.trim()) parts.push(`QEMU said:\n${indent(stderrTail.trimEnd())}`);
    if (lastLines.length) parts.push(`last console lines:\n${indent(lastLines.join('\n'))}`);
    super('ERR_QEMU_EXITED', parts.join('\n'), {
      path: stderrTail.trim() ? logs.stderrLog : logs.consoleLog,
      value: exit,
      hint: `QEMU's stderr: ${logs.stderrLog}; console: ${logs.consoleLog}`,
    });
    this.exit = exit;
    this.stderrTail = stderrTail;
    this.lastLines = [...lastLines];
  }
}

/** `waitFor` (or the start-up handshake) ran out of time. Carries the last console lines and the log path. */
export class QemuTimeoutError extends QemuError {
  readonly pattern: string;
  readonly timeoutMs: number;
  readonly lastLines: readonly string[];
  readonly logFile: string;
  constructor(pattern: string, timeoutMs: number, lastLines: readonly string[], logFile: string) {
    const tail = lastLines.length
      ? `\nlast console lines:\n${indent(lastLines.join('\n'))}`
      : '\n(the console printed nothing)';
    super('ERR_QEMU_TIMEOUT', `timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${pattern}${tail}`, {
      path: logFile,
      value: pattern,
      hint: `full console log: ${logFile}`,
    });
    this.pattern = pattern;
    this.timeoutMs = timeoutMs;
    this.lastLines = [...lastLines];
    this.logFile = logFile;
  }
}

/** The QMP connection failed or a QMP command returned an error. */
export class QmpError extends QemuError {
  /** QMP's error class (e.g. `GenericError`, `CommandNotFound`), when QEMU answered with one. */
  readonly errorClass: string | undefined;
  constructor(message: string, details: ErrorDetails & { errorClass?: string } = {}) {
    super('ERR_QMP', message, details);
    this.errorClass = details.errorClass;
  }
}

/** `send` (or another operation that needs a running QEMU) was called after QEMU exited. */
export class QemuNotRunningError extends QemuError {
  constructor(operation: string, logFile: string) {
    super('ERR_QEMU_NOT_RUNNING', `cannot ${operation}: QEMU is no longer running`, {
      path: logFile,
      hint: `await handle.exited to see how it ended; console: ${logFile}`,
    });
  }
}

/** `accel: 'kvm'` was requested but KVM cannot be used here. */
export class KvmUnavailableError extends QemuError {
  constructor(reason: string) {
    super('ERR_KVM_UNAVAILABLE', `KVM cannot be used: ${reason}`, { path: '/dev/kvm' });
  }
}

/** A helper daemon (virtiofsd) failed to start. */
export class HelperFailedError extends QemuError {
  constructor(helper: string, message: string, logFile: string) {
    super('ERR_QEMU_HELPER_FAILED', `${helper} failed: ${message}`, {
      path: logFile,
      value: helper,
      hint: `see ${logFile}`,
    });
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  | ${line}`)
    .join('\n');
}
