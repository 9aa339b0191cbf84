import { execa } from 'execa';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kvmProbeImage, PROBE_EXIT_CODE } from './_kvm-probe-image.js';

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  /** Why: `kvm works (probe 0.4 s)`, `/dev/kvm missing`, `kvm probe timed out after 6 s`... */
  reason: string;
}

export interface KvmProbeResult {
  usable: boolean;
  reason: string;
  elapsedMs: number;
}

const cache = new Map<string, Promise<KvmProbeResult>>();

/**
 * Tells whether KVM works here, by running a tiny guest that must compute and exit within
 * `timeoutMs`. Cached per process (per QEMU binary). Never throws for an unusable KVM.
 */
export function probeKvm(qemu: string, timeoutMs = 6000): Promise<KvmProbeResult> {
  let result = cache.get(qemu);
  if (!result) {
    result = runProbe(qemu, timeoutMs);
    cache.set(qemu, result);
  }
  return result;
}

/** Forgets cached probe results (tests). */
export function clearKvmProbeCache(): void {
  cache.clear();
}

async function runProbe(qemu: string, timeoutMs: number): Promise<KvmProbeResult> {
  const started = performance.now();
  const done = (usable: boolean, reason: string): KvmProbeResult => ({
    usable,
    reason,
    elapsedMs: Math.round(performance.now() - started),
  });
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return done(false, code === 'ENOENT' ? '/dev/kvm does not exist' : `/dev/kvm is not accessible (${code})`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'qemu-launch-kvm-probe-'));
  try {
    const image = join(dir, 'probe.bin');
    await writeFile(image, kvmProbeImage());
    const args = [
      '-nodefaults',
      '-no-user-config',
      '-machine',
      'pc',
      '-accel',
      'kvm',
      '-cpu',
      'host',
      '-m',
      '64M',
      '-display',
      'none',
      '-no-reboot',
      '-kernel',
      image,
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=4',
    ];
    const result = await execa(qemu, args, {
      reject: false,
      timeout: timeoutMs,
      stdin: 'ignore',
      forceKillAfterDelay: 1000,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (result.timedOut)
      return done(
        false,
        `KVM probe did not finish within ${(timeoutMs / 1000).toFixed(1)} s (KVM present but too slow or hanging, as under nested virtualisation)`,
      );
    if (result.exitCode === PROBE_EXIT_CODE) return done(true, `KVM probe ran in ${seconds} s`);
    const said = String(result.stderr ?? '')
      .trim()
      .split('\n')
      .slice(-2)
      .join(' ');
    return done(false, `KVM probe failed (exit ${result.exitCode ?? result.signal}): ${said}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
