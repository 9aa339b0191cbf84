import { z } from 'zod';
import { parseOptions } from '@distroforge/core';
import { invalidLaunchOptions, QemuOptionsError } from './errors.js';

const diskInterface = z.enum(['virtio', 'usb', 'ide', 'sata', 'nvme']);

/** One disk image. A plain string is a virtio disk with the format guessed from the extension. */
export const diskSchema = z.union([
  z.string().min(1),
  z
    .object({
      path: z.string().min(1),
      /** virtio-blk (default), USB storage on an xHCI controller, the machine's IDE/AHCI controller, an AHCI controller, or NVMe. */
      interface: diskInterface.default('virtio'),
      /** Image format; default: `qcow2` for `*.qcow2`, else `raw`. */
      format: z.enum(['raw', 'qcow2', 'vmdk', 'vdi', 'vpc', 'vhdx']).optional(),
      readOnly: z.boolean().default(false),
      /** Discard writes to this disk when QEMU exits. */
      snapshot: z.boolean().default(false),
      /** Serial number the guest sees (`/dev/disk/by-id/...`). */
      serial: z
        .string()
        .regex(/^[\w.-]{1,20}$/)
        .optional(),
      /** USB storage only: present the device as removable media (a USB stick). */
      removable: z.boolean().default(false),
    })
    .strict(),
]);

const portForward = z
  .object({
    protocol: z.enum(['tcp', 'udp']).default('tcp'),
    hostAddress: z.string().default('127.0.0.1'),
    /** Host port; 0 is not allowed (QEMU would not tell which port it picked). */
    hostPort: z.number().int().min(1).max(65535),
    guestPort: z.number().int().min(1).max(65535),
  })
  .strict();

const shareSchema = z
  .object({
    /** Host directory to share. */
    path: z.string().min(1),
    /** Mount tag the guest uses: `mount -t 9p -o trans=virtio TAG /mnt` or `mount -t virtiofs TAG /mnt`. */
    tag: z.string().regex(/^[\w.-]{1,31}$/),
    type: z.enum(['9p', 'virtiofs']).default('9p'),
    readOnly: z.boolean().default(false),
    /** 9p only: how guest ownership maps to the host (`none` works without root). */
    securityModel: z.enum(['none', 'mapped-xattr', 'mapped-file', 'passthrough']).default('none'),
  })
  .strict();

const memorySchema = z.union([
  z.number().int().min(16),
  z.string().regex(/^\d+[MG]$/i, 'a size such as "512M" or "2G"'),
]);

export const launchOptionsSchema = z
  .object({
    /** QEMU binary; default: `qemu-system-x86_64` from PATH. */
    qemu: z.string().min(1).optional(),
    machine: z.enum(['q35', 'pc']).default('q35'),
    /** Guest memory in MiB, or a string such as `"1G"`. */
    memory: memorySchema.default(512),
    cpus: z.number().int().min(1).max(255).default(1),
    /** `-cpu` model; default: `host` under KVM, QEMU's default under TCG. */
    cpu: z.string().min(1).optional(),
    /** `auto` probes KVM (it can exist yet hang under nested virtualisation) and falls back to TCG. */
    accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
    /** How long the KVM probe may take before `auto` gives up on KVM, ms. */
    kvmProbeTimeout: z.number().int().min(100).default(6000),
    firmware: z.enum(['bios', 'uefi']).default('bios'),
    /** UEFI with Secure Boot enforced (OVMF with Microsoft keys enrolled); needs `machine: 'q35'`. */
    secureBoot: z.boolean().default(false),
    /** UEFI: a vars file to use (and modify) in place, to keep boot entries between runs. Default: a private copy of OVMF's template. */
    uefiVars: z.string().min(1).optional(),
    /** UEFI: explicit OVMF code/vars files instead of Debian's `ovmf` package paths. */
    ovmfCode: z.string().min(1).optional(),
    ovmfVars: z.string().min(1).optional(),
    /** Direct kernel boot. */
    kernel: z.string().min(1).optional(),
    initrd: z.string().min(1).optional(),
    append: z.string().optional(),
    /**
     * Direct kernel boot of a bzImage: boot the ELF kernel inside it through its PVH entry instead,
     * extracted once and cached (seconds of self-decompression saved under TCG). Falls back to the
     * bzImage when it has no PVH note or an unknown payload format; `instance.kernelBoot` says which.
     */
    pvh: z.boolean().default(false),
    /** Where `pvh` keeps the extracted kernels; default `$XDG_CACHE_HOME/distroforge/pvh-kernels`. */
    kernelCache: z.string().min(1).optional(),
    /** An ISO image as a CD-ROM (AHCI on q35, IDE on pc). */
    iso: z.string().min(1).optional(),
    disks: z.array(diskSchema).default([]),
    /** Which device the firmware tries first; default: the CD-ROM if there is one, else the first disk. */
    boot: z.enum(['cdrom', 'disk']).optional(),
    /** Discard all disk writes when QEMU exits (`-snapshot`). */
    snapshot: z.boolean().default(false),
    /** User-mode network (slirp) with optional port forwards; `false` (default) for no network card. */
    network: z
      .union([
        z.literal(false),
        z
          .object({
            model: z.enum(['virtio-net-pci', 'e1000', 'e1000e', 'rtl8139']).default('virtio-net-pci'),
            hostfwd: z.array(portForward).default([]),
          })
          .strict(),
      ])
      .default(false),
    shares: z.array(shareSchema).default([]),
    /** `none` (headless, default) or a QEMU display backend such as `gtk`, `sdl`, `vnc=:1`. The serial console is always a pipe. */
    display: z.string().min(1).default('none'),
    /** Exit instead of rebooting (default true, so a guest reboot or panic with `panic=-1` ends the run). */
    noReboot: z.boolean().default(true),
    /**
     * A command prefix QEMU starts through, e.g. core's `openUserNamespace(...).enterCommand`: QEMU then
     * runs as root of that user namespace, so a 9p `passthrough` share shows the owners given there.
     */
    runThrough: z.array(z.string().min(1)).min(1).optional(),
    /** Extra raw QEMU arguments, appended last. */
    extraArgs: z.array(z.string()).default([]),
    /** Directory for the console and stderr logs (kept after exit); default: a new temp directory. */
    logDir: z.string().min(1).optional(),
    /** Base name of the log files: `<name>.console.log`, `<name>.stderr.log`. */
    name: z
      .string()
      .regex(/^[\w.-]+$/)
      .default('qemu'),
    /** How long QEMU may take to start (until QMP answers), ms. */
    startTimeout: z.number().int().min(100).default(30_000),
  })
  .strict();

/** Options accepted by `launch()` (defaults applied by the schema). */
export type LaunchOptions = z.input<typeof launchOptionsSchema>;

export type DiskInterface = z.infer<typeof diskInterface>;
export interface DiskSpec {
  path: string;
  interface: DiskInterface;
  format: string;
  readOnly: boolean;
  snapshot: boolean;
  serial: string | undefined;
  removable: boolean;
}
export type ShareSpec = z.infer<typeof shareSchema>;
export type PortForward = z.infer<typeof portForward>;

/** Options after validation and normalisation: sizes in MiB, disks as objects. */
export type ResolvedLaunchOptions = Omit<z.infer<typeof launchOptionsSchema>, 'memory' | 'disks'> & {
  memoryMiB: number;
  disks: DiskSpec[];
};

/** Validates (schema, then semantic rules) and normalises; never mutates `input`. */
export function resolveLaunchOptions(input: LaunchOptions): ResolvedLaunchOptions {
  const { memory, disks, ...rest } = parseOptions(launchOptionsSchema, input, invalidLaunchOptions);
  const resolved: ResolvedLaunchOptions = { ...rest, memoryMiB: toMiB(memory), disks: disks.map(normaliseDisk) };
  checkSemantics(resolved);
  return resolved;
}

function toMiB(memory: number | string): number {
  if (typeof memory === 'number') return memory;
  const amount = Number.parseInt(memory, 10);
  return /g$/i.test(memory) ? amount * 1024 : amount;
}

function normaliseDisk(disk: z.infer<typeof diskSchema>): DiskSpec {
  const spec = typeof disk === 'string' ? { path: disk } : disk;
  return {
    path: spec.path,
    interface: 'interface' in spec ? spec.interface : 'virtio',
    format: ('format' in spec ? spec.format : undefined) ?? (/\.qcow2$/i.test(spec.path) ? 'qcow2' : 'raw'),
    readOnly: 'readOnly' in spec ? spec.readOnly : false,
    snapshot: 'snapshot' in spec ? spec.snapshot : false,
    serial: 'serial' in spec ? spec.serial : undefined,
    removable: 'removable' in spec ? spec.removable : false,
  };
}

function checkSemantics(o: ResolvedLaunchOptions): void {
  const fail = (key: string, message: string, hint?: string): never => {
    throw new QemuOptionsError(`invalid option ${key}: ${message}`, { value: key, ...(hint ? { hint } : {}) });
  };
  if (o.initrd !== undefined && o.kernel === undefined) fail('initrd', 'needs kernel (direct kernel boot)');
  if (o.append !== undefined && o.kernel === undefined) fail('append', 'needs kernel (direct kernel boot)');
  if (o.pvh && o.kernel === undefined) fail('pvh', 'needs kernel (direct kernel boot)');
  if (o.kernelCache !== undefined && !o.pvh) fail('kernelCache', 'only applies with pvh: true');
  if (o.secureBoot && o.firmware !== 'uefi') fail('secureBoot', "needs firmware: 'uefi'");
  if (o.secureBoot && o.machine !== 'q35')
    fail('secureBoot', "needs machine: 'q35' (OVMF's Secure Boot build requires SMM)");
  for (const key of ['uefiVars', 'ovmfCode', 'ovmfVars'] as const) {
    if (o[key] !== undefined && o.firmware !== 'uefi') fail(key, "only applies with firmware: 'uefi'");
  }
  if (o.boot === 'cdrom' && o.iso === undefined) fail('boot', "'cdrom' needs iso");
  if (o.boot === 'disk' && o.disks.length === 0) fail('boot', "'disk' needs disks");
  const tags = new Set<string>();
  o.shares.forEach((share, i) => {
    if (tags.has(share.tag)) fail(`shares.${i}.tag`, `duplicate mount tag ${share.tag}`);
    tags.add(share.tag);
  });
  const forwards = new Set<string>();
  if (o.network) {
    o.network.hostfwd.forEach((f, i) => {
      const key = `${f.protocol}:${f.hostAddress}:${f.hostPort}`;
      if (forwards.has(key)) fail(`network.hostfwd.${i}`, `host port ${key} forwarded twice`);
      forwards.add(key);
    });
  }
}
