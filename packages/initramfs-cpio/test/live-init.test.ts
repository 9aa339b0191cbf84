import { execa } from 'execa';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
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
async function simulate(
  options: LiveInitOptions,
  cmdline: string,
  devices: Record<string, string> = { 'LABEL=LIVE': '/dev/sr0' },
  prepare?: (dir: string) => Promise<void>,
  /** Devices that appear only once usb_storage is loaded (a USB stick). */
  usbDevices: Record<string, string> = {},
) {
  const dir = join(work, `run${run++}`);
  await mkdir(join(dir, 'live/medium/live'), { recursive: true });
  await writeFile(join(dir, 'live/medium/live/filesystem.squashfs'), Buffer.alloc(4096));
  await mkdir(join(dir, 'newroot/sbin'), { recursive: true });
  await writeFile(join(dir, 'newroot/sbin/init'), '#!/bin/sh\n');
  await chmod(join(dir, 'newroot/sbin/init'), 0o755);
  await writeFile(join(dir, 'init'), liveInitScript(options));
  await prepare?.(dir);
  const findfs = [
    ...Object.entries(devices).map(([spec, dev]) => `[ "$1" = '${spec}' ] && echo ${dev} && return 0;`),
    ...Object.entries(usbDevices).map(
      ([spec, dev]) => `[ -n "$USB_UP" ] && [ "$1" = '${spec}' ] && echo ${dev} && return 0;`,
    ),
  ].join(' ');
  const harness = `
LIVE_INIT_LIBRARY=1 . '${dir}/init'
LIVE_DIR='${dir}/live'
NEWROOT='${dir}/newroot'
SYSFS='${dir}/sys'
DEVFS='${dir}/dev'
mount_basics() { :; }
cat() { if [ "$1" = /proc/cmdline ]; then echo '${cmdline}'; else command cat "$@"; fi; }
mount() { echo "CALL mount $*"; }
umount() { echo "CALL umount $*"; }
modprobe() { echo "CALL modprobe $*"; [ "$1" = usb_storage ] && USB_UP=1; return 0; }
cp() { echo "CALL cp $*"; }
sleep() { echo "CALL sleep $*"; }
findfs() { ${findfs} return 1; }
SHELLS=0
shell() { echo "CALL shell"; SHELLS=$((SHELLS + 1)); [ "$SHELLS" -lt 3 ] || exit 3; }
do_switch_root() { echo "CALL switch_root $NEWROOT $LIVE_INIT"; exit 0; }
main
`;
  const result = await execa('busybox', ['sh', '-c', harness], { reject: false });
  return {
    exitCode: result.exitCode,
    lines: result.stdout.split('\n').map((l) => l.replaceAll(dir, '$T')),
    stderr: result.stderr,
  };
}

/**
 * A real GPT (sfdisk writes it) on a file standing for /dev/vda, and the sysfs entries the kernel
 * would show for its partitions (sfdisk script lines, in order).
 */
async function fakeGptDisk(dir: string, partitions: readonly string[]): Promise<void> {
  await mkdir(join(dir, 'dev'));
  const disk = join(dir, 'dev/vda');
  await writeFile(disk, Buffer.alloc(4 * 1048576));
  await execa('sfdisk', ['-q', disk], { input: `label: gpt\n${partitions.join('\n')}\n` });
  await mkdir(join(dir, 'sys/class/block'), { recursive: true });
  for (const n of partitions.map((_, i) => i + 1)) {
    await mkdir(join(dir, `sys/devices/vda/vda${n}`), { recursive: true });
    await writeFile(join(dir, `sys/devices/vda/vda${n}/partition`), `${n}\n`);
    await symlink(`../../devices/vda/vda${n}`, join(dir, `sys/class/block/vda${n}`));
  }
}

describe('liveInitScript', () => {
  it('is a busybox sh script that parses (sh -n)', async () => {
    const file = join(work, 'syntax');
    await writeFile(file, liveInitScript({ label: 'X' }));
    await expect(execa('busybox', ['sh', '-n', file])).resolves.toMatchObject({ exitCode: 0 });
  });

  it('loads modules, finds the medium by label, loop-mounts the squashfs under a tmpfs overlay and switches root', async () => {
    const { lines, exitCode } = await simulate(
      { modules: ['loop', 'squashfs', 'overlay'], label: 'LIVE' },
      'console=ttyS0 quiet',
    );
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
    expect(calls).toEqual(
      expect.arrayContaining([
        'CALL mount -t tmpfs -o size=1028k,mode=0755 tmpfs $T/live/ram',
        'CALL cp $T/live/medium/live/filesystem.squashfs $T/live/ram/image',
        'CALL umount $T/live/medium',
        'CALL mount -t squashfs -o loop,ro $T/live/ram/image $T/live/rootfs',
      ]),
    );
    expect(calls.indexOf('CALL umount $T/live/medium')).toBeLessThan(
      calls.indexOf('CALL mount -t squashfs -o loop,ro $T/live/ram/image $T/live/rootfs'),
    );
  });

  it('stacks live.layers above the root image, the last one on top, from the medium or a device', async () => {
    const addLayer = async (dir: string) =>
      writeFile(join(dir, 'live/medium/live/overlay.squashfs'), Buffer.alloc(8192));
    const { lines, exitCode } = await simulate(
      { modules: [], label: 'LIVE', layers: ['/live/overlay.squashfs'] },
      '',
      undefined,
      addLayer,
    );
    expect(exitCode).toBe(0);
    const calls = lines.filter((l) => l.startsWith('CALL'));
    expect(calls).toEqual(
      expect.arrayContaining([
        'CALL mount -t squashfs -o loop,ro $T/live/medium/live/filesystem.squashfs $T/live/rootfs',
        'CALL mount -t squashfs -o loop,ro $T/live/medium/live/overlay.squashfs $T/live/layer1',
        'CALL mount -t overlay overlay -o lowerdir=$T/live/layer1:$T/live/rootfs,upperdir=$T/live/cow/upper,workdir=$T/live/cow/work $T/newroot',
      ]),
    );
    expect(lines).toContain('live: mounted layer /live/overlay.squashfs (squashfs)');

    // From the command line: a device layer over the medium-as-image (direct boot: /dev/vda + /dev/vdb).
    const direct = await simulate({ modules: [] }, 'live.uuid=1111-AAAA live.image= live.layers=UUID=2222-BBBB', {
      'UUID=1111-AAAA': '/dev/vda',
      'UUID=2222-BBBB': '/dev/vdb',
    });
    const directCalls = direct.lines.filter((l) => l.startsWith('CALL'));
    expect(directCalls).toEqual(
      expect.arrayContaining([
        'CALL mount -t squashfs -o ro /dev/vda $T/live/rootfs',
        'CALL mount -t squashfs -o ro /dev/vdb $T/live/layer1',
        'CALL mount -t overlay overlay -o lowerdir=$T/live/layer1:$T/live/rootfs,upperdir=$T/live/cow/upper,workdir=$T/live/cow/work $T/newroot',
      ]),
    );

    // copytoram takes the layers along.
    const ram = await simulate(
      { modules: [], label: 'LIVE', layers: ['/live/overlay.squashfs'] },
      'live.copytoram',
      undefined,
      addLayer,
    );
    expect(ram.lines.filter((l) => l.startsWith('CALL'))).toEqual(
      expect.arrayContaining([
        'CALL mount -t tmpfs -o size=1036k,mode=0755 tmpfs $T/live/ram',
        'CALL cp $T/live/medium/live/overlay.squashfs $T/live/ram/layer-1',
        'CALL mount -t squashfs -o loop,ro $T/live/ram/layer-1 $T/live/layer1',
      ]),
    );

    const missing = await simulate({ modules: [], label: 'LIVE', layers: ['/live/nope.squashfs'] }, '');
    expect(missing.lines).toContain('live: RESCUE: layer /live/nope.squashfs not found on /dev/sr0');
  });

  it('mounts the medium itself when live.image is empty', async () => {
    const { lines } = await simulate({ modules: [], label: 'LIVE', image: '' }, '');
    expect(lines).toContain('CALL mount -t squashfs -o ro /dev/sr0 $T/live/rootfs');
  });

  it('uses a 9p or virtiofs share as the lower layer for the dev loop', async () => {
    const nine = await simulate({ modules: [], root: '9p', tag: 'staging' }, '');
    expect(nine.lines).toContain(
      'CALL mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose staging $T/live/rootfs',
    );
    expect(nine.lines.at(-1)).toBe('CALL switch_root $T/newroot /sbin/init');
    const virtiofs = await simulate({ modules: [] }, 'live.root=virtiofs live.tag=host');
    expect(virtiofs.lines).toContain('CALL mount -t virtiofs -o ro host $T/live/rootfs');
  });

  it('mounts a persistent root partition found by its GPT PARTUUID (live.root=disk), with no overlay', async () => {
    const partuuid = 'd54f5600-439f-4006-afed-ed079b496537';
    const { lines, exitCode } = await simulate(
      { modules: ['ext4'] },
      `live.root=disk root=PARTUUID=${partuuid.toUpperCase()} rootfstype=ext4 rw`,
      {},
      async (dir) => {
        await fakeGptDisk(dir, [
          'start=2048, size=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
          `start=4096, size=2048, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=${partuuid}`,
        ]);
      },
    );
    expect(exitCode).toBe(0);
    expect(lines.filter((l) => l.startsWith('CALL') || l.startsWith('live:'))).toEqual([
      'live: distroforge live init, root=disk',
      'CALL modprobe ext4',
      `live: waiting up to 30 s for root PARTUUID=${partuuid.toUpperCase()}`,
      `live: found root PARTUUID=${partuuid.toUpperCase()} at $T/dev/vda2`,
      'CALL mount -t ext4 -o rw $T/dev/vda2 $T/newroot',
      'live: mounted $T/dev/vda2 on $T/newroot (ext4, rw)',
      'live: switching to /sbin/init',
      'CALL switch_root $T/newroot /sbin/init',
    ]);
  });

  it('overlays a read-only squashfs root partition with an upper layer on the persistence partition', async () => {
    const root = 'd54f5600-439f-4006-afed-ed079b496537';
    const data = '0e6a2b1c-5d4f-4a8e-9b3c-2f1e0d9c8b7a';
    const { lines, exitCode } = await simulate(
      { modules: [] },
      `live.root=disk root=PARTUUID=${root} rootfstype=squashfs ro live.persistence=PARTUUID=${data}`,
      {},
      async (dir) => {
        await fakeGptDisk(dir, [
          `start=2048, size=2048, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=${root}`,
          `start=4096, size=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=${data}`,
        ]);
      },
    );
    expect(exitCode).toBe(0);
    expect(lines.filter((l) => l.startsWith('CALL') || l.startsWith('live:'))).toEqual([
      'live: distroforge live init, root=disk',
      `live: waiting up to 30 s for root PARTUUID=${root}`,
      `live: found root PARTUUID=${root} at $T/dev/vda1`,
      'CALL mount -t squashfs -o ro $T/dev/vda1 $T/live/rootfs',
      'live: mounted $T/dev/vda1 (squashfs, read-only image)',
      `live: waiting up to 30 s for persistence PARTUUID=${data}`,
      `live: found persistence PARTUUID=${data} at $T/dev/vda2`,
      'CALL mount -t ext4 -o rw,noatime $T/dev/vda2 $T/live/cow',
      'live: persistence on $T/dev/vda2 (ext4): changes are kept',
      'CALL mount -t overlay overlay -o lowerdir=$T/live/rootfs,upperdir=$T/live/cow/upper,workdir=$T/live/cow/work $T/newroot',
      'live: overlay ready on $T/newroot',
      'live: switching to /sbin/init',
      'CALL switch_root $T/newroot /sbin/init',
    ]);
  });

  it('goes on to switch_root with a tmpfs upper layer and a warning when the persistence partition is missing', async () => {
    const { lines, exitCode } = await simulate(
      { modules: [], label: 'LIVE', persistence: 'LABEL=gone', timeout: 1 },
      '',
    );
    expect(exitCode).toBe(0);
    const from = lines.indexOf('live: waiting up to 1 s for persistence LABEL=gone');
    expect(from).toBeGreaterThan(0);
    expect(lines.slice(from + 2, from + 5)).toEqual([
      'live: persistence partition LABEL=gone not found after 1 s (block devices: )',
      'live: WARNING: persistence unavailable, changes are kept in RAM only',
      'CALL mount -t tmpfs -o size=50%,mode=0755 tmpfs $T/live/cow',
    ]);
    expect(lines.at(-1)).toBe('CALL switch_root $T/newroot /sbin/init');
  });

  it('live.root=disk finds root=UUID= with findfs, mounts read-only by default, and needs root=', async () => {
    const byUuid = await simulate({ modules: [], root: 'disk' }, 'root=UUID=77d549c1 rootfstype=xfs', {
      'UUID=77d549c1': '/dev/sdb3',
    });
    expect(byUuid.lines).toContain('CALL mount -t xfs -o ro /dev/sdb3 $T/newroot');
    const none = await simulate({ modules: [], root: 'disk' }, '');
    expect(none.lines).toContain(
      'live: RESCUE: live.root=disk needs root= on the kernel command line (root=PARTUUID=..., UUID=..., LABEL=... or /dev/...)',
    );
    const missing = await simulate(
      { modules: [], root: 'disk', timeout: 2 },
      'root=PARTUUID=00000000-0000-0000-0000-000000000000',
    );
    expect(missing.lines.find((l) => l.startsWith('live: RESCUE:'))).toMatch(
      /^live: RESCUE: root PARTUUID=0{8}-0{4}-0{4}-0{4}-0{12} not found after 2 s/,
    );
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
    expect(lines.find((l) => l.startsWith('live: RESCUE:'))).toMatch(
      /^live: RESCUE: boot medium LABEL=MISSING not found after 3 s/,
    );
    // The rescue shell is restarted whenever it exits: the boot cannot go on.
    expect(lines.slice(-4)).toEqual([
      'live: starting a rescue shell (the system cannot continue)',
      'CALL shell',
      'CALL shell',
      'CALL shell',
    ]);
  });

  it('stops in a rescue shell when the init is missing or no medium is configured', async () => {
    const missing = await simulate({ modules: [], label: 'LIVE' }, 'live.init=/lib/systemd/nothing');
    expect(missing.lines).toContain('live: RESCUE: /lib/systemd/nothing not found or not executable in the live root');
    const unset = await simulate({ modules: [] }, '');
    expect(unset.lines).toContain('live: RESCUE: no boot medium given: set live.label=, live.uuid= or live.device=');
  });

  it('defaults to the live module list, loaded by need, and refuses shell metacharacters in options', () => {
    expect(liveInitScript()).toContain(`LIVE_MODULES='${LIVE_MODULES.join(' ')}'\nLIVE_MODULES_LOAD=needed\n`);
    expect(liveInitScript({ modules: ['loop'] })).toContain(`LIVE_MODULES='loop'\nLIVE_MODULES_LOAD=all\n`);
    expect(() => liveInitScript({ label: "x'; rm -rf /" })).toThrow();
  });
});

describe('liveInitScript: the default module list is loaded by need', () => {
  /** What the script modprobes, and its one line about the skipped modules, for the default list. */
  async function loads(
    cmdline: string,
    options: LiveInitOptions = {},
    devices?: Record<string, string>,
    usbDevices?: Record<string, string>,
  ) {
    const { lines, exitCode } = await simulate(
      { label: 'LIVE', timeout: 1, ...options },
      cmdline,
      devices,
      undefined,
      usbDevices,
    );
    // A /dev/... path is looked up with [ -b ] on this host, where it may not exist: such a boot
    // chooses its modules first, then either goes on or stops in the rescue shell for a device.
    if (/=\/dev\//.test(cmdline))
      expect(exitCode === 0 || lines.some((l) => /^live: RESCUE: .* not found after /.test(l)), lines.join('\n')).toBe(
        true,
      );
    else expect(exitCode).toBe(0);
    const loaded = lines.filter((l) => l.startsWith('CALL modprobe ')).map((l) => l.slice('CALL modprobe '.length));
    const skipped = lines.filter((l) => l.startsWith('live: not loaded'));
    expect(skipped.length).toBeLessThanOrEqual(1);
    return { loaded, skipped: skipped[0], lines };
  }
  /** A boot from a medium found by label loads these: the storage drivers of every controller, loop, isofs, squashfs, overlay. */
  const LABEL_BOOT = LIVE_MODULES.filter(
    (m) => !['erofs', '9p', '9pnet_virtio', 'virtiofs', 'crc32c_generic', 'ext4', 'btrfs', 'xfs'].includes(m),
  );
  /** Of those, the storage drivers: what a boot whose devices can be on any controller needs. */
  const STORAGE = LABEL_BOOT.filter((m) => !['loop', 'squashfs', 'overlay', 'isofs'].includes(m));
  /** The USB storage drivers: loaded only once a device is not found on the other controllers. */
  const USB = ['usb_storage', 'uas', 'xhci_pci', 'ehci_pci'];
  const withoutUsb = (list: readonly string[]) => list.filter((m) => !USB.includes(m));

  it('an image root on a labelled medium loads every storage driver but none of 9p, virtiofs, erofs and the root filesystems, and says so in one line', async () => {
    const { loaded, skipped, lines } = await loads('console=ttyS0');
    // The medium is found at once (on the CD): USB was never started.
    expect(loaded).toEqual(withoutUsb(LABEL_BOOT));
    expect(loaded).toEqual(expect.arrayContaining(withoutUsb(STORAGE)));
    expect(USB.every((m) => (LABEL_BOOT as readonly string[]).includes(m))).toBe(true);
    expect(lines).toContain(
      'live: loaded when a device is not found on the other controllers: usb_storage uas xhci_pci ehci_pci',
    );
    expect(skipped).toBe(
      'live: not loaded, this boot does not need them (live.root=image live.fstype=squashfs, devices on any controller, no persistence; live.modules= loads a list as given): erofs 9p 9pnet_virtio virtiofs crc32c_generic ext4 btrfs xfs',
    );
    // live.fstype=erofs swaps the image filesystem.
    const erofs = await loads('live.fstype=erofs');
    expect(erofs.loaded).toContain('erofs');
    expect(erofs.loaded).not.toContain('squashfs');
  });

  it('a direct boot from /dev/vd* devices loads the virtio block driver alone: no AHCI, SCSI, USB, CD, NVMe, loop or isofs', async () => {
    const { loaded, skipped } = await loads('live.device=/dev/vda live.image= live.layers=/dev/vdb');
    expect(loaded).toEqual(['squashfs', 'overlay', 'virtio_pci', 'virtio_blk']);
    expect(skipped).toMatch(/\(live\.root=image live\.fstype=squashfs, virtio devices only, no persistence; /);
    // An image file on a /dev/vd* medium still needs loop and isofs to reach it.
    const file = await loads('live.device=/dev/vda');
    expect(file.loaded).toEqual(['loop', 'squashfs', 'overlay', 'isofs', 'virtio_pci', 'virtio_blk']);
  });

  it('/dev/nvme* devices load nvme alone; one device that could be anywhere brings every driver back', async () => {
    const nvme = await loads('live.device=/dev/nvme0n1 live.image=');
    expect(nvme.loaded).toEqual(['squashfs', 'overlay', 'nvme']);
    expect(nvme.skipped).toMatch(/, nvme devices only, /);
    // The medium on virtio, a layer by label: the layer can be on any controller.
    const mixed = await loads('live.device=/dev/vda live.image= live.layers=LABEL=layer');
    expect(mixed.loaded).toEqual(expect.arrayContaining(STORAGE));
    // Virtio and NVMe devices together load both families.
    const both = await loads('live.device=/dev/vda live.image= live.persistence=/dev/nvme0n1p1');
    expect(both.loaded).toEqual(expect.arrayContaining(STORAGE));
    // A CD or SCSI name can be behind any controller.
    // (/dev/sr0 does not exist here: not found at the first look, so USB comes after the others.)
    const cd = await loads('live.device=/dev/sr0');
    expect(cd.loaded).toEqual([...withoutUsb(LABEL_BOOT), ...USB]);
  });

  it('USB storage drivers start only when a device is not found on the other controllers, then the search goes on at once', async () => {
    // The medium on a USB stick: missed once, USB loaded, found without waiting a second.
    const stick = await loads('console=ttyS0', {}, {}, { 'LABEL=LIVE': '/dev/sdb1' });
    expect(stick.loaded).toEqual([...withoutUsb(LABEL_BOOT), ...USB]);
    const search = stick.lines.filter((l) => /^(live: |CALL (sleep|modprobe usb_storage))/.test(l));
    const from = search.indexOf('live: waiting up to 1 s for LABEL=LIVE');
    expect(search.slice(from, from + 4)).toEqual([
      'live: waiting up to 1 s for LABEL=LIVE',
      'live: not found yet: loading the USB storage drivers: usb_storage uas xhci_pci ehci_pci',
      'CALL modprobe usb_storage',
      'live: found LABEL=LIVE at /dev/sdb1',
    ]);
    // A persistence partition on a stick while the medium is on the CD: USB starts for it alone.
    const data = await loads(
      'live.persistence=LABEL=data',
      {},
      { 'LABEL=LIVE': '/dev/sr0' },
      { 'LABEL=data': '/dev/sdb1' },
    );
    expect(data.loaded).toEqual([...withoutUsb(LABEL_BOOT), 'crc32c_generic', 'ext4', ...USB]);
    expect(data.lines).toContain('live: found persistence LABEL=data at /dev/sdb1');
    // Devices that are nowhere: USB is tried once, then the wait runs out into the rescue shell as before.
    const none = await simulate({ label: 'LIVE', timeout: 1 }, 'console=ttyS0', {});
    expect(none.lines.filter((l) => l.startsWith('CALL modprobe ')).slice(-USB.length)).toEqual(
      USB.map((m) => `CALL modprobe ${m}`),
    );
    expect(none.lines.filter((l) => l.startsWith('live: not found yet'))).toHaveLength(1);
    expect(none.lines.some((l) => /^live: RESCUE: boot medium LABEL=LIVE not found after 1 s/.test(l))).toBe(true);
    // Modules given as a list load all at once, nothing deferred.
    const all = await loads('', { loadModules: 'all' });
    expect(all.lines.some((l) => l.includes('not found on the other controllers'))).toBe(false);
  });

  it('live.root=9p loads 9p and 9pnet_virtio only, and no block driver or image filesystem; live.root=virtiofs loads virtiofs only', async () => {
    const nine = await loads('live.root=9p');
    expect(nine.loaded).toEqual(['overlay', 'virtio_pci', '9p', '9pnet_virtio']);
    expect(nine.skipped).toMatch(
      /\(live\.root=9p, no block devices, no persistence; .*\): loop squashfs erofs isofs cdrom /,
    );
    const virtiofs = await loads('live.root=virtiofs');
    expect(virtiofs.loaded).toEqual(['overlay', 'virtio_pci', 'virtiofs']);
    // A persistence partition on a 9p boot brings the drivers for it back.
    const kept = await loads('live.root=9p live.persistence=/dev/vdb live.persistencefs=xfs');
    expect(kept.loaded).toEqual(['overlay', 'virtio_pci', 'virtio_blk', '9p', '9pnet_virtio', 'xfs']);
  });

  it('live.root=disk loads its rootfstype= only (default ext4), with crc32c_generic for ext4 and btrfs', async () => {
    const disk = { 'UUID=77d549c1': '/dev/vda2' };
    const storage = withoutUsb(LABEL_BOOT).filter((m) => !['loop', 'squashfs', 'isofs'].includes(m));
    const btrfs = await loads('live.root=disk root=UUID=77d549c1 rootfstype=btrfs rw', {}, disk);
    expect(btrfs.loaded).toEqual([...storage, 'crc32c_generic', 'btrfs']);
    expect(btrfs.skipped).toMatch(
      /\(live\.root=disk rootfstype=btrfs, devices on any controller, no persistence; .*\): loop squashfs erofs isofs 9p 9pnet_virtio virtiofs ext4 xfs$/,
    );
    const ext4 = await loads('live.root=disk root=UUID=77d549c1', {}, disk);
    expect(ext4.loaded).toEqual([...storage, 'crc32c_generic', 'ext4']);
    const xfs = await loads('live.root=disk root=UUID=77d549c1 rootfstype=xfs', {}, disk);
    expect(xfs.loaded).toEqual([...storage, 'xfs']);
    // A read-only image as the root partition needs its image filesystem and none of the others.
    const image = await loads('live.root=disk root=UUID=77d549c1 rootfstype=squashfs', {}, disk);
    expect(image.loaded).toEqual(withoutUsb(LABEL_BOOT).filter((m) => !['loop', 'isofs'].includes(m)));
    // root=/dev/vda2: the virtio driver alone.
    const vda = await loads('live.root=disk root=/dev/vda2');
    expect(vda.loaded).toEqual(['overlay', 'virtio_pci', 'virtio_blk', 'crc32c_generic', 'ext4']);
  });

  it('a persistence partition loads its live.persistencefs= (default ext4)', async () => {
    const ext4 = await loads(
      'live.persistence=LABEL=data',
      {},
      { 'LABEL=LIVE': '/dev/sr0', 'LABEL=data': '/dev/sdb1' },
    );
    expect(ext4.loaded).toEqual([...withoutUsb(LABEL_BOOT), 'crc32c_generic', 'ext4']);
    expect(ext4.skipped).toMatch(
      /\(live\.root=image live\.fstype=squashfs, devices on any controller, persistence ext4; .*\): erofs 9p 9pnet_virtio virtiofs btrfs xfs$/,
    );
    const xfs = await loads(
      'live.persistence=LABEL=data live.persistencefs=xfs',
      {},
      {
        'LABEL=LIVE': '/dev/sr0',
        'LABEL=data': '/dev/sdb1',
      },
    );
    expect(xfs.loaded).toEqual([...withoutUsb(LABEL_BOOT), 'xfs']);
  });

  it('live.modules= on the command line loads exactly its list, with no line about skipped modules', async () => {
    const { loaded, skipped } = await loads('live.modules=loop,btrfs,9p,squashfs');
    expect(loaded).toEqual(['loop', 'btrfs', '9p', 'squashfs']);
    expect(skipped).toBeUndefined();
  });

  it('a modules list given to the builder loads all of it; loadModules: needed applies the rules to it', async () => {
    const given = await loads('', { modules: ['loop', 'xfs', 'virtiofs', 'dm_mod'] });
    expect(given.loaded).toEqual(['loop', 'xfs', 'virtiofs', 'dm_mod']);
    expect(given.skipped).toBeUndefined();
    const needed = await loads('', { modules: ['loop', 'xfs', 'virtiofs', 'dm_mod'], loadModules: 'needed' });
    expect(needed.loaded).toEqual(['loop', 'dm_mod']);
    expect(needed.skipped).toMatch(/: xfs virtiofs$/);
    const all = await loads('', { loadModules: 'all' });
    expect(all.loaded).toEqual([...LIVE_MODULES]);
  });
});
