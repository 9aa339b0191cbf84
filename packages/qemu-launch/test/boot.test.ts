import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, QemuTimeoutError, type QemuInstance } from '@distroforge/qemu-launch';
import { makeGuest, MARKER, type Guest } from './_guest.js';

// One VM for the whole file (boots take seconds under TCG); the tests run in order against it.
let guest: Guest;
let vm: QemuInstance;

beforeAll(async () => {
  guest = await makeGuest();
  const share = join(guest.dir, 'share');
  await mkdir(share);
  await writeFile(join(share, 'hello.txt'), 'hello from the host\n');
  vm = await launch({
    kernel: guest.kernel,
    initrd: guest.initrd,
    append: guest.append,
    memory: 256,
    logDir: guest.logDir,
    shares: [{ path: share, tag: 'hostshare' }],
  });
});

afterAll(async () => {
  await vm?.kill();
  if (guest) await rm(guest.dir, { recursive: true, force: true });
});

describe('direct kernel boot of a busybox initramfs', () => {
  it('reports the accelerator it chose and why', () => {
    expect(['kvm', 'tcg']).toContain(vm.accel);
    expect(vm.accelReason).toMatch(/\S/);
    expect(vm.command).toEqual(expect.arrayContaining(['-accel', vm.accel, '-kernel', guest.kernel]));
  });

  it('waitFor finds the marker printed by /init and says when it arrived', async () => {
    const found = await vm.waitFor(MARKER, { timeout: 120_000 });
    expect(found.match).toBe(MARKER);
    expect(found.elapsedMs).toBeGreaterThan(0);
    expect(found.elapsedMs).toBeLessThanOrEqual(vm.elapsedMs());
  });

  it('send types on the serial console and the shell answers', async () => {
    await vm.waitFor('/ # ', { timeout: 30_000 });
    await vm.send('echo $((6*7))\n');
    // Require the line end: a chunk may end between "4" and "2".
    const answer = await vm.waitFor(/^(\d+)\r?\n/m, { timeout: 30_000 });
    expect(answer.groups[0]).toBe('42');
  });

  it('a RegExp gets its capture groups; matched text is consumed (expect-style)', async () => {
    await vm.send('echo "cpu count: $(grep -c ^processor /proc/cpuinfo)"\n');
    const found = await vm.waitFor(/cpu count: (\d+)\r?\n/, { timeout: 30_000 });
    expect(found.groups).toEqual(['1']);
    // The marker was matched before: it is not found again.
    await expect(vm.waitFor(MARKER, { timeout: 1500 })).rejects.toBeInstanceOf(QemuTimeoutError);
  });

  it('fromStart finds text matched before, waits for text still to come, and leaves the cursor where it was', async () => {
    // The marker was consumed above; from the start of the boot it is still there.
    await expect(vm.waitFor(MARKER, { fromStart: true, timeout: 1000 })).resolves.toMatchObject({ match: MARKER });
    // The typed line is echoed as "from-start-$((1+1))": only the shell's answer matches.
    await vm.send('echo from-start-$((1+1))\n');
    await expect(vm.waitFor('from-start-2', { fromStart: true, timeout: 30_000 })).resolves.toMatchObject({
      match: 'from-start-2',
    });
    // Neither call moved the cursor: the expect-style wait still finds the answer once, then not again.
    await expect(vm.waitFor('from-start-2', { timeout: 1000 })).resolves.toMatchObject({ match: 'from-start-2' });
    await expect(vm.waitFor('from-start-2', { timeout: 1000 })).rejects.toBeInstanceOf(QemuTimeoutError);
  });

  it('a timeout rejects with QemuTimeoutError carrying the last console lines and the log path', async () => {
    await vm.send('echo last-line-before-timeout\n');
    await vm.waitFor('last-line-before-timeout\r\n', { timeout: 30_000 });
    const error = await vm.waitFor('text that never comes', { timeout: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QemuTimeoutError);
    const timeout = error as QemuTimeoutError;
    expect(timeout.code).toBe('ERR_QEMU_TIMEOUT');
    expect(timeout.lastLines.join('\n')).toContain('last-line-before-timeout');
    expect(timeout.logFile).toBe(vm.logFile);
    expect(timeout.message).toContain('last-line-before-timeout');
    expect(timeout.hint).toContain(vm.logFile);
  });

  it('shares a host directory over 9p', async () => {
    await vm.send(
      'mount -t 9p -o trans=virtio hostshare /mnt && cat /mnt/hello.txt && echo "guest wrote" > /mnt/from-guest.txt\n',
    );
    await vm.waitFor(/^hello from the host\r?\n/m, { timeout: 30_000 });
    await vm.send('sync; echo synced-$((1+1))\n');
    await vm.waitFor('synced-2', { timeout: 30_000 });
    expect(await readFile(join(guest.dir, 'share/from-guest.txt'), 'utf8')).toBe('guest wrote\n');
  });

  it('QMP answers query-status', async () => {
    const status = await vm.qmp.execute<{ status: string; running: boolean }>('query-status');
    expect(status).toMatchObject({ status: 'running', running: true });
  });

  it('lines() replays the console from the start of the boot', async () => {
    const seen: string[] = [];
    for await (const line of vm.lines()) {
      seen.push(line);
      if (line.includes(MARKER)) break;
    }
    expect(seen.at(-1)).toBe(MARKER);
  });

  it('shutdown powers the guest off through ACPI (QMP system_powerdown) and QEMU exits 0', async () => {
    const result = await vm.shutdown({ timeout: 60_000 });
    expect(result).toEqual({ how: 'powerdown', exit: { exitCode: 0, signal: undefined } });
    expect(vm.running).toBe(false);
    const log = await readFile(vm.logFile, 'utf8');
    expect(log).toContain(MARKER);
    expect(log).toContain('QEMU-LAUNCH-TEST-POWEROFF');
  });

  it('send after exit is a typed error', async () => {
    await expect(vm.send('echo\n')).rejects.toMatchObject({ code: 'ERR_QEMU_NOT_RUNNING' });
  });
});
