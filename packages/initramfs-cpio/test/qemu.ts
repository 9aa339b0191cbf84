import { execa } from 'execa';

export interface BootOptions {
  kernel: string;
  initrd: string;
  append: string;
  /** Stop (and kill QEMU) once the console matches this. */
  until: RegExp;
  timeoutMs?: number;
  extraArgs?: string[];
}

/**
 * Boots a kernel + initrd directly in QEMU (TCG, serial console on stdio) and returns the console
 * text up to `until`, or until QEMU exits (poweroff with -no-reboot). QEMU is always killed.
 */
export async function bootAndCollect(options: BootOptions): Promise<{ console: string; exitedByItself: boolean }> {
  const qemu = execa(
    'qemu-system-x86_64',
    [
      '-machine',
      'q35',
      '-accel',
      'tcg',
      '-m',
      '512',
      '-smp',
      '1',
      '-nographic',
      '-no-reboot',
      '-nodefaults',
      '-serial',
      'stdio',
      '-kernel',
      options.kernel,
      '-initrd',
      options.initrd,
      '-append',
      options.append,
      ...(options.extraArgs ?? []),
    ],
    {
      reject: false,
      stdin: 'ignore',
      timeout: options.timeoutMs ?? 240_000,
      forceKillAfterDelay: 2_000,
      buffer: false,
    },
  );
  let text = '';
  let matched = false;
  try {
    for await (const line of qemu.iterable({ from: 'stdout' })) {
      text += `${String(line)}\n`;
      if (options.until.test(text)) {
        matched = true;
        break;
      }
    }
  } finally {
    if (qemu.exitCode === null) qemu.kill('SIGKILL');
    await qemu;
  }
  return { console: text, exitedByItself: !matched };
}
