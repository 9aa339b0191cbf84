import { QemuOptionsError } from './errors.js';
import type { DiskSpec, ResolvedLaunchOptions } from './options.js';

/** What launch() prepared at run time and the argument list needs. */
export interface RuntimeContext {
  accel: 'kvm' | 'tcg';
  /** Unix socket our QMP server listens on; QEMU connects to it as a client. */
  qmpSocket: string;
  /** UEFI: the firmware code and the (private copy of the) vars file. */
  uefi?: { code: string; vars: string };
  /** virtiofs: the vhost-user socket of the virtiofsd serving each share, by mount tag. */
  virtiofsSockets?: ReadonlyMap<string, string>;
}

/**
 * The complete QEMU command line (without the binary) for validated options. Pure: same options,
 * same arguments, so it can be tested without QEMU. The serial console is QEMU's stdio (stdout is the
 * console log file, stdin a pipe), the QMP monitor a socket; nothing else is attached to stdio.
 */
export function buildQemuArgs(o: ResolvedLaunchOptions, ctx: RuntimeContext): string[] {
  const args: string[] = ['-nodefaults', '-no-user-config', '-name', o.name];
  const virtiofs = o.shares.some((s) => s.type === 'virtiofs');

  const machine: string[] = [o.machine];
  if (o.secureBoot) machine.push('smm=on');
  if (virtiofs) machine.push('memory-backend=mem0');
  args.push('-machine', machine.join(','), '-accel', ctx.accel);
  if (o.secureBoot) args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
  const cpu = o.cpu ?? (ctx.accel === 'kvm' ? 'host' : undefined);
  if (cpu !== undefined) args.push('-cpu', cpu);
  args.push('-m', `${o.memoryMiB}M`, '-smp', String(o.cpus));
  if (virtiofs) args.push('-object', `memory-backend-memfd,id=mem0,size=${o.memoryMiB}M,share=on`);

  if (o.display === 'none') args.push('-display', 'none');
  else args.push('-display', o.display, '-vga', 'std');
  args.push('-chardev', 'stdio,id=serial0,signal=off', '-serial', 'chardev:serial0');
  args.push('-chardev', `socket,id=qmp0,path=${escapeOptionValue(ctx.qmpSocket)}`, '-mon', 'chardev=qmp0,mode=control');
  if (o.noReboot) args.push('-no-reboot');

  if (ctx.uefi) {
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${escapeOptionValue(ctx.uefi.code)}`);
    args.push('-drive', `if=pflash,format=raw,unit=1,file=${escapeOptionValue(ctx.uefi.vars)}`);
  }
  if (o.kernel !== undefined) {
    args.push('-kernel', o.kernel);
    if (o.initrd !== undefined) args.push('-initrd', o.initrd);
    if (o.append !== undefined) args.push('-append', o.append);
  }

  args.push(...storageArgs(o));
  if (o.snapshot) args.push('-snapshot');

  if (o.network) {
    const forwards = o.network.hostfwd.map(
      (f) => `,hostfwd=${f.protocol}:${f.hostAddress}:${f.hostPort}-:${f.guestPort}`,
    );
    args.push('-nic', `user,model=${o.network.model}${forwards.join('')}`);
  } else {
    args.push('-nic', 'none');
  }

  o.shares.forEach((share, i) => {
    if (share.type === '9p') {
      const ro = share.readOnly ? ',readonly=on' : '';
      args.push(
        '-fsdev',
        `local,id=fs${i},path=${escapeOptionValue(share.path)},security_model=${share.securityModel}${ro}`,
      );
      args.push('-device', `virtio-9p-pci,fsdev=fs${i},mount_tag=${share.tag}`);
    } else {
      const socket = ctx.virtiofsSockets?.get(share.tag);
      if (socket === undefined) throw new Error(`internal: no virtiofsd socket for tag ${share.tag}`);
      args.push('-chardev', `socket,id=vfs${i},path=${escapeOptionValue(socket)}`);
      args.push('-device', `vhost-user-fs-pci,chardev=vfs${i},tag=${share.tag}`);
    }
  });

  args.push(...o.extraArgs);
  return args;
}

/** CD-ROM and disks, with controllers created once and boot order set through `bootindex`. */
function storageArgs(o: ResolvedLaunchOptions): string[] {
  const args: string[] = [];
  const ide = ideSlots(o.machine);
  const sata = o.machine === 'q35' ? ide : ahciSlots();
  let xhci = false;
  let ahci = false;
  const cdromFirst = o.boot !== 'disk';
  let nextBoot = 0;
  const cdromBoot = o.iso !== undefined && cdromFirst ? nextBoot++ : undefined;
  const diskBoots = o.disks.map(() => nextBoot++);
  const lateCdromBoot = o.iso !== undefined && !cdromFirst ? nextBoot++ : undefined;
  // With -kernel, QEMU's linuxboot option ROM takes bootindex 0: devices then get none.
  const bootindex = (n: number | undefined) => (o.kernel === undefined && n !== undefined ? `,bootindex=${n}` : '');

  if (o.iso !== undefined) {
    // The CD-ROM sits where QEMU's own `-cdrom` would: secondary master on pc, port 2 on q35.
    const slot = o.machine === 'pc' ? 'bus=ide.1,unit=0' : 'bus=ide.2';
    ide.take(slot);
    args.push('-drive', `if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=${escapeOptionValue(o.iso)}`);
    args.push('-device', `ide-cd,drive=cd0,${slot}${bootindex(cdromBoot ?? lateCdromBoot)}`);
  }

  o.disks.forEach((disk, i) => {
    const id = `disk${i}`;
    args.push('-drive', driveSpec(id, disk));
    const boot = bootindex(diskBoots[i]);
    const serial = disk.serial === undefined ? '' : `,serial=${disk.serial}`;
    switch (disk.interface) {
      case 'virtio':
        args.push('-device', `virtio-blk-pci,drive=${id}${serial}${boot}`);
        break;
      case 'usb':
        if (!xhci) args.push('-device', 'qemu-xhci,id=xhci0');
        xhci = true;
        args.push(
          '-device',
          `usb-storage,bus=xhci0.0,drive=${id}${disk.removable ? ',removable=on' : ''}${serial}${boot}`,
        );
        break;
      case 'ide':
        args.push('-device', `ide-hd,drive=${id},${ide.next(`disks.${i}`)}${serial}${boot}`);
        break;
      case 'sata':
        if (o.machine === 'pc' && !ahci) args.push('-device', 'ahci,id=ahci0');
        ahci = true;
        args.push('-device', `ide-hd,drive=${id},${sata.next(`disks.${i}`)}${serial}${boot}`);
        break;
      case 'nvme':
        args.push('-device', `nvme,drive=${id},serial=${disk.serial ?? `nvme${i}`}${boot}`);
        break;
    }
  });
  return args;
}

function driveSpec(id: string, disk: DiskSpec): string {
  const flags = [disk.readOnly ? ',readonly=on' : '', disk.snapshot ? ',snapshot=on' : ''].join('');
  return `if=none,id=${id},format=${disk.format}${flags},file=${escapeOptionValue(disk.path)}`;
}

/** The free ATA positions of the machine's own controller: PIIX IDE on pc (2 buses x 2 units), AHCI on q35 (6 ports). */
function ideSlots(machine: 'pc' | 'q35') {
  const all =
    machine === 'pc'
      ? ['bus=ide.0,unit=0', 'bus=ide.0,unit=1', 'bus=ide.1,unit=0', 'bus=ide.1,unit=1']
      : [0, 1, 2, 3, 4, 5].map((n) => `bus=ide.${n}`);
  return slotAllocator(all, machine === 'pc' ? 'IDE' : 'AHCI');
}

function ahciSlots() {
  return slotAllocator(
    [0, 1, 2, 3, 4, 5].map((n) => `bus=ahci0.${n}`),
    'AHCI',
  );
}

function slotAllocator(slots: string[], controller: string) {
  const free = [...slots];
  return {
    take(slot: string) {
      const i = free.indexOf(slot);
      if (i >= 0) free.splice(i, 1);
    },
    next(key: string): string {
      const slot = free.shift();
      if (slot === undefined)
        throw new QemuOptionsError(`invalid option ${key}: no free ${controller} port left (${slots.length} in all)`, {
          value: key,
          hint: "use interface: 'virtio' for more disks",
        });
      return slot;
    },
  };
}

/** QEMU's option syntax: a comma inside a value is written twice. */
function escapeOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}
