// Boots an ISO in QEMU (TCG, q35) the way a user would: from a CD-ROM or as a USB disk, with
// SeaBIOS, OVMF, or OVMF with Secure Boot enforced and Microsoft's keys enrolled. The serial
// console is collected; keys can be sent when a pattern appears.
import { execa } from 'execa';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Firmware = 'bios' | 'uefi' | 'uefi-secure-boot';
export type Medium = 'cdrom' | 'usb-disk';

export interface BootOptions {
  iso: string;
  firmware: Firmware;
  medium: Medium;
  /** Resolve once the console matches this. */
  until: RegExp;
  /** When the console first matches `when`, type `keys` on the serial port. */
  keys?: { when: RegExp; keys: string };
  timeoutMs?: number;
}

export interface BootResult {
  console: string;
  seconds: number;
}

const ovmf = {
  uefi: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
  'uefi-secure-boot': { code: '/usr/share/OVMF/OVMF_CODE_4M.ms.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' },
} as const;

export async function bootIso(options: BootOptions): Promise<BootResult> {
  const work = await mkdtemp(join(tmpdir(), 'iso-assemble-qemu-'));
  const args = ['-accel', 'tcg', '-m', '512', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot'];
  if (options.firmware === 'uefi-secure-boot') {
    args.push('-machine', 'q35,smm=on', '-global', 'driver=cfi.pflash01,property=secure,value=on');
  } else {
    args.push('-machine', 'q35');
  }
  if (options.firmware !== 'bios') {
    const { code, vars } = ovmf[options.firmware];
    const privateVars = join(work, 'vars.fd');
    await copyFile(vars, privateVars);
    args.push(
      '-drive',
      `if=pflash,format=raw,unit=0,readonly=on,file=${code}`,
      '-drive',
      `if=pflash,format=raw,unit=1,file=${privateVars}`,
    );
  }
  if (options.medium === 'cdrom') {
    args.push(
      '-drive',
      `file=${options.iso},format=raw,media=cdrom,readonly=on,if=none,id=boot`,
      '-device',
      'ide-cd,drive=boot,bootindex=0',
    );
  } else {
    args.push(
      '-drive',
      `file=${options.iso},format=raw,readonly=on,if=none,id=boot`,
      '-device',
      'qemu-xhci',
      '-device',
      'usb-storage,drive=boot,bootindex=0',
    );
  }
  const started = performance.now();
  const child = execa('qemu-system-x86_64', args, {
    stdin: 'pipe',
    stderr: 'pipe',
    reject: false,
    forceKillAfterDelay: 2000,
  });
  let output = '';
  let keysSent = false;
  try {
    return await new Promise<BootResult>((resolvePromise, rejectPromise) => {
      const timer = setTimeout(() => rejectPromise(bootError('timed out', output)), options.timeoutMs ?? 180_000);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        if (options.keys && !keysSent && options.keys.when.test(output)) {
          keysSent = true;
          child.stdin.write(options.keys.keys);
        }
        if (options.until.test(output)) {
          clearTimeout(timer);
          resolvePromise({ console: output, seconds: (performance.now() - started) / 1000 });
        }
      });
      void child.then((result) => {
        clearTimeout(timer);
        if (!options.until.test(output))
          rejectPromise(bootError(`QEMU exited (${result.exitCode}) ${String(result.stderr ?? '')}`, output));
      });
    });
  } finally {
    child.kill();
    await child;
    await rm(work, { recursive: true, force: true });
  }
}

function bootError(reason: string, console: string): Error {
  const tail = console
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split('\n')
    .slice(-25)
    .join('\n');
  return new Error(`boot failed: ${reason}\n--- last console lines ---\n${tail}`);
}
