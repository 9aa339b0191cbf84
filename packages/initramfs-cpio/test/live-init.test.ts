import { execa } from 'execa';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_MODULES, liveInitScript, type LiveInitOptions } from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';

let work: string;
beforeAll(async () => {
  work = await tempDir();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let run = 0;
/**
 * Runs the generated script in busybox sh on the host with the system-changing commands replaced by
 * shell functions that print their arguments, so what the init would do can be asserted line by line.
 */
async function simulate(options: LiveInitOptions, cmdline: string, devices: Record<string, string> = { 'LABEL=LIVE': '/dev/sr0' }) {
  const dir = join(work, `run${run++}`);
  await mkdir(join(dir, 'live/medium/live'), { recursive: true });
  await writeFile(join(dir, 'live/medium/live/filesystem.squashfs'), Buffer.alloc(4096));
  await mkdir(join(dir, 'newroot/sbin'), { recursive: true });
  await writeFile(join(dir, 'newroot/sbin/init'), '#!/bin/sh\n');
  await chmod(join(dir, 'newroot/sbin/init'), 0o755);
  await writeFile(join(dir, 'init'), liveInitScript(options));
  const findfs = Object.entries(devices).map(([spec, dev]) => `[ "$1" = '${spec}' ] && echo ${dev} && return 0;`).join(' ');
  const harness = `
LIVE_INIT_LIBRARY=1 . '${dir}/init'
LIVE_DIR='${dir}/live'
NEWROOT='${dir}/newroot'
mount_basics() { :; }
cat() { if [ "$1" = /proc/cmdline ]; then echo '${cmdline}'; else command cat "$@"; fi; }
mount() { echo "CALL mount $*"; }
umount() { echo "CALL umount $*"; }
modprobe() { echo "CALL modprobe $*"; }
cp() { echo "CALL cp $*"; }
sleep() { echo "CALL sleep $*"; }
findfs() { ${findfs} return 1; }
SHELLS=0
shell() { echo "CALL shell"; SHELLS=$((SHELLS + 1)); [ "$SHELLS" -lt 3 ] || exit 3; }
do_switch_root() { echo "CALL switch_root $NEWROOT $LIVE_INIT"; exit 0; }
main
`;
  const result = await execa('busybox', ['sh', '-c', harness], { reject: false });
  return { exitCode: result.exitCode, lines: result.stdout.split('\n').map((l) => l.replaceAll(dir, '$T')), stderr: result.stderr };
}

describe('liveInitScript', () => {
  it('is a busybox sh script that parses (sh -n)', async () => {
    const file = join(work, 'syntax');
    await writeFile(file, liveInitScript({ label: 'X' }));
    await expect(execa('busybox', ['sh', '-n', file])).resolves.toMatchObject({ exitCode: 0 });
  });

  it('loads modules, finds the medium by label, loop-mounts the squashfs under a tmpfs overlay and switches root', async () => {
    const { lines, exitCode } = await simulate({ modules: ['loop', 'squashfs', 'overlay'], label: 'LIVE' }, 'console=ttyS0 quiet');
    expect(exitCode).toBe(0);
    expect(lines.filter((l) => l.startsWith('CALL') || l.startsWith('live:'))).toEqual([
      'live: distroforge live init, root=image',
      'CALL modprobe loop',
      'CALL modprobe squashfs',
      'CALL modprobe overlay',
      'live: waiting up to 30 s for LABEL=LIVE',
      'live: found LABEL=LIVE at /dev/sr0',
      'CALL mount -o ro /dev/sr0 $T/live/medium',
      'CALL mount -t squashfs -o loop,ro $T/live/medium/live/filesystem.squashfs $T/live/rootfs',
      'live: mounted /live/filesystem.squashfs (squashfs)',
      'CALL mount -t tmpfs -o size=50%,mode=0755 tmpfs $T/live/cow',
      'CALL mount -t overlay overlay -o lowerdir=$T/live/rootfs,upperdir=$T/live/cow/upper,workdir=$T/live/cow/work $T/newroot',
      'live: overlay ready on $T/newroot',
      'live: switching to /sbin/init',
      'CALL switch_root $T/newroot /sbin/init',
    ]);
  });

  it('takes every choice from the kernel command line', async () => {
    const { lines } = await simulate(
      { label: 'NOPE' },
      'live.uuid=1234-ABCD live.label= live.image=/live/filesystem.squashfs live.fstype=erofs live.init=/sbin/init live.modules=erofs,loop live.overlaysize=256m',
      { 'UUID=1234-ABCD': '/dev/vdb' },
    );
    const calls = lines.filter((l) => l.startsWith('CALL'));
    expect(calls.slice(0, 2)).toEqual(['CALL modprobe erofs', 'CALL modprobe loop']);
    expect(calls).toContain('CALL mount -o ro /dev/vdb $T/live/medium');
    expect(lines).toContain('live: waiting up to 30 s for UUID=1234-ABCD');
    expect(calls).toContain('CALL mount -t erofs -o loop,ro $T/live/medium/live/filesystem.squashfs $T/live/rootfs');
    expect(calls).toContain('CALL mount -t tmpfs -o size=256m,mode=0755 tmpfs $T/live/cow');
  });

  it('copies the image to RAM and releases the medium with live.copytoram', async () => {
    const { lines } = await simulate({ modules: [], label: 'LIVE' }, 'live.copytoram');
    const calls = lines.filter((l) => l.startsWith('CALL'));
    expect(calls).toEqual(expect.arrayContaining([
      'CALL mount -t tmpfs -o size=1028k,mode=0755 tmpfs $T/live/ram',
      'CALL cp $T/live/medium/live/filesystem.squashfs $T/live/ram/image',
      'CALL umount $T/live/medium',
      'CALL mount -t squashfs -o loop,ro $T/live/ram/image $T/live/rootfs',
    ]));
    expect(calls.indexOf('CALL umount $T/live/medium')).toBeLessThan(calls.indexOf('CALL mount -t squashfs -o loop,ro $T/live/ram/image $T/live/rootfs'));
  });

  it('mounts the medium itself when live.image is empty', async () => {
    const { lines } = await simulate({ modules: [], label: 'LIVE', image: '' }, '');
    expect(lines).toContain('CALL mount -t squashfs -o ro /dev/sr0 $T/live/rootfs');
  });

  it('uses a 9p or virtiofs share as the lower layer for the dev loop', async () => {
    const nine = await simulate({ modules: [], root: '9p', tag: 'staging' }, '');
    expect(nine.lines).toContain('CALL mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose staging $T/live/rootfs');
    expect(nine.lines.at(-1)).toBe('CALL switch_root $T/newroot /sbin/init');
    const virtiofs = await simulate({ modules: [] }, 'live.root=virtiofs live.tag=host');
    expect(virtiofs.lines).toContain('CALL mount -t virtiofs -o ro host $T/live/rootfs');
  });

  it('break=overlay gives a shell after the overlay and continues when it exits', async () => {
    const { lines } = await simulate({ modules: [], label: 'LIVE' }, 'break=overlay');
    const at = lines.indexOf('live: break=overlay: starting a shell; exit it to continue');
    expect(at).toBeGreaterThan(lines.indexOf('live: overlay ready on $T/newroot'));
    expect(lines[at + 1]).toBe('CALL shell');
    expect(lines.at(-1)).toBe('CALL switch_root $T/newroot /sbin/init');
  });

  it('stops in a rescue shell that says why: medium not found within the timeout', async () => {
    const { lines, exitCode } = await simulate({ modules: [], label: 'MISSING', timeout: 3 }, '');
    expect(exitCode).toBe(3);
    expect(lines.filter((l) => l === 'CALL sleep 1')).toHaveLength(3);
    expect(lines.find((l) => l.startsWith('live: RESCUE:'))).toMatch(/^live: RESCUE: boot medium LABEL=MISSING not found after 3 s/);
    // The rescue shell is restarted whenever it exits: the boot cannot go on.
    expect(lines.slice(-4)).toEqual(['live: starting a rescue shell (the system cannot continue)', 'CALL shell', 'CALL shell', 'CALL shell']);
  });

  it('stops in a rescue shell when the init is missing or no medium is configured', async () => {
    const missing = await simulate({ modules: [], label: 'LIVE' }, 'live.init=/lib/systemd/nothing');
    expect(missing.lines).toContain('live: RESCUE: /lib/systemd/nothing not found or not executable in the live root');
    const unset = await simulate({ modules: [] }, '');
    expect(unset.lines).toContain('live: RESCUE: no boot medium given: set live.label=, live.uuid= or live.device=');
  });

  it('defaults to the live module list and refuses shell metacharacters in options', () => {
    expect(liveInitScript()).toContain(`LIVE_MODULES='${LIVE_MODULES.join(' ')}'`);
    expect(() => liveInitScript({ label: "x'; rm -rf /" })).toThrow();
  });
});
