export { launch, chooseAccel } from './launch.js';
export {
  launchOptionsSchema,
  resolveLaunchOptions,
  type LaunchOptions,
  type ResolvedLaunchOptions,
  type DiskSpec,
  type DiskInterface,
  type ShareSpec,
  type PortForward,
} from './options.js';
export { buildQemuArgs, type RuntimeContext } from './build-qemu-args.js';
export {
  QemuInstance,
  type WaitForOptions,
  type WaitForResult,
  type ShutdownOptions,
  type ShutdownResult,
} from './qemu-instance.js';
export { QmpClient, type QmpEvent } from './qmp-client.js';
export { SerialConsole, type ConsoleMatch, type MatchOptions } from './serial-console.js';
export { probeKvm, clearKvmProbeCache, type AccelChoice, type KvmProbeResult } from './probe-kvm.js';
export { findOvmf, type OvmfFiles } from './find-ovmf.js';
export { findVirtiofsd } from './virtiofsd.js';
export { pvhKernel, defaultKernelCache, type KernelBoot } from './pvh-kernel.js';
export {
  qemuErrorCodes,
  QemuError,
  type QemuErrorCode,
  QemuOptionsError,
  QemuInputMissingError,
  QemuExitedError,
  QemuTimeoutError,
  QmpError,
  QemuNotRunningError,
  KvmUnavailableError,
  HelperFailedError,
  type QemuExit,
} from './errors.js';
