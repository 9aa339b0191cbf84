import { execa } from 'execa';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch } from '@distroforge/qemu-launch';
import { makeGuest, type Guest } from './_guest.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let guest: Guest;
beforeAll(async () => {
  guest = await makeGuest();
});
afterAll(async () => {
  if (guest) await rm(guest.dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('no QEMU left behind', () => {
  it('QEMU dies when the Node process that launched it is SIGKILLed', async () => {
    // A child Node process launches QEMU (from dist/, as users would), reports its pid and waits.
    // The guest (a kernel without a root) must never end on its own: panic=0 hangs instead of
    // rebooting, and a reboot would not end QEMU either.
    const script = `
      import { launch } from '@distroforge/qemu-launch';
      const vm = await launch({ kernel: ${JSON.stringify(guest.kernel)}, append: 'panic=0', noReboot: false, accel: 'tcg', memory: 128, logDir: ${JSON.stringify(guest.logDir)} });
      // process.stdout.write, not console.log: under FORCE_COLOR (nx sets it) console.log colours numbers.
      process.stdout.write(vm.pid + ' ' + vm.command.find((a) => a.startsWith('socket,id=qmp0,path=')).slice('socket,id=qmp0,path='.length) + '\\n');
      setInterval(() => {}, 1000);`;
    const child = execa('node', ['--input-type=module', '-e', script], { cwd: packageDir, reject: false });
    const [pid, qmpSocket] = await new Promise<[number, string]>((resolve, reject) => {
      // Read whole lines: a chunk may end mid-line, and only the "PID SOCKET" line counts.
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const line = buffered.split('\n').find((l) => /^\d+ \//.test(l));
        if (line) {
          const [p, socket] = line.trim().split(' ');
          resolve([Number(p), socket as string]);
        }
      });
      void child.then((r) => reject(new Error(`child ended: ${r.stderr}`)));
      setTimeout(
        () => reject(new Error(`no "PID SOCKET" line after 180 s; stdout: ${JSON.stringify(buffered)}`)),
        180_000,
      ).unref();
    });
    expect(
      alive(pid),
      `QEMU pid ${pid} should be running; child stderr so far: ${child.stderr?.readableLength ?? 0} bytes`,
    ).toBe(true);
    child.kill('SIGKILL');
    await child;
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    expect(alive(pid)).toBe(false);
    // A SIGKILLed parent cannot clean up: its run directory stays behind (tmp cleaners remove it).
    await rm(dirname(qmpSocket), { recursive: true, force: true });
  }, 240_000);

  it('exited resolves after kill(), and the run directory (sockets, vars copy) is removed', async () => {
    const vm = await launch({
      kernel: guest.kernel,
      accel: 'tcg',
      memory: 128,
      firmware: 'uefi',
      logDir: guest.logDir,
    });
    const vars = (vm.command.find((a) => a.startsWith('if=pflash,format=raw,unit=1,')) as string).split(
      'file=',
    )[1] as string;
    const pid = vm.pid as number;
    expect(alive(pid)).toBe(true);
    expect(await vm.kill()).toEqual({ exitCode: undefined, signal: 'SIGKILL' });
    expect(alive(pid)).toBe(false);
    await expect(execa('test', ['-e', dirname(vars)], { reject: false }).then((r) => r.exitCode)).resolves.toBe(1);
  });
});
