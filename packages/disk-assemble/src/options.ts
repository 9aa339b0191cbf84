import { manifestSchema } from '@distroforge/core';
import { z } from 'zod';

const MiB = 1024 * 1024;
const bytes = z.number().int().positive();

/** An extra partition placed between the ESP and the root partition (e.g. swap, /var). */
export const extraPartitionSchema = z
  .object({
    name: z.string().min(1).max(36),
    /** A name from `partitionTypes` or a type GUID. */
    type: z.string().min(1),
    size: bytes,
    /** What to put in it: a swap signature, an empty ext4, or nothing. Default: `swap` for the swap type, else `none`. */
    filesystem: z.enum(['swap', 'ext4', 'none']).optional(),
    /** Filesystem label (swap: up to 16 bytes, ext4: up to 16). */
    label: z.string().min(1).max(16).optional(),
    /** Where the root's /etc/fstab mounts an ext4 partition (e.g. `/var`, `/home`). */
    mountPoint: z
      .string()
      .regex(/^\/[^\s"]*$/, 'an absolute path without blanks')
      .optional(),
  })
  .strict();

/** A read-write ext4 root filesystem made from a directory tree and a manifest. */
export const ext4RootSchema = z
  .object({
    /** The tree that becomes the root filesystem. */
    directory: z.string().min(1),
    /** A manifest object or the path of a manifest file (owners, modes, device nodes). */
    manifest: z.union([manifestSchema, z.string().min(1)]).optional(),
    /** `root` (default): every inode 0:0 before the manifest applies; `disk`: keep the owners found. */
    owner: z.enum(['root', 'disk']).default('root'),
    /** ext4 size in bytes; default content + `freeSpace` (or the rest of the disk when `size` is given). */
    size: bytes.multipleOf(4096).optional(),
    freeSpace: z
      .number()
      .int()
      .min(0)
      .default(64 * MiB),
    label: z.string().min(1).max(16).default('root'),
    /**
     * Build incrementally from the tree `directory` was derived from (e.g. the bootstrapped root
     * under an overlay's hard-link farm): an image of the base, kept in `cacheDir` and reused while
     * the base, layout and UUIDs stay the same, plus the difference, applied with debugfs. The
     * image is the same whether the base was cached or not; the computed size is rounded up to
     * 64 MiB so that small changes keep it (and the cached base).
     */
    base: z
      .object({
        directory: z.string().min(1),
        manifest: z.union([manifestSchema, z.string().min(1)]).optional(),
        /** Names the base's content for the cache (e.g. a build cache key); default: a digest of its listing. */
        key: z.string().min(1).optional(),
        cacheDir: z.string().min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * A read-only root: a squashfs or EROFS image (e.g. the one inside the live ISO) written as the
 * root partition as is, and an empty ext4 `data` partition that holds the overlay's upper layer
 * (`live.persistence=` of @distroforge/initramfs-cpio's live init), so changes persist.
 */
export const imageRootSchema = z
  .object({
    /** The squashfs or EROFS image file. */
    image: z.string().min(1),
    /** Default: recognised from the image's superblock. */
    filesystem: z.enum(['squashfs', 'erofs']).optional(),
    data: z
      .object({
        /** Bytes; default 256 MiB, or the rest of the disk when the disk `size` is given. */
        size: bytes.multipleOf(MiB).optional(),
        label: z.string().min(1).max(16).default('data'),
      })
      .strict()
      .default({ label: 'data' }),
  })
  .strict();

export const assembleDiskOptionsSchema = z
  .object({
    /** The image path (`.img` raw or `.qcow2`, see `format`). */
    output: z.string().min(1),
    /** An ext4 root made from a directory (`directory`), or a read-only image plus a data partition (`image`). */
    root: z.union([ext4RootSchema, imageRootSchema]),
    kernel: z.string().min(1),
    initrd: z.string().min(1),
    /** Added after `root=PARTUUID=... rw rootwait`: a string (split at whitespace) or a list. */
    kernelArgs: z.union([z.string(), z.array(z.string())]).default([]),
    /** Total disk size in bytes (a multiple of 1 MiB): the root partition takes what is left. */
    size: bytes.multipleOf(MiB).optional(),
    bios: z.boolean().default(true),
    uefi: z.boolean().default(true),
    /** ESP size in bytes; default: what kernel, initrd and GRUB need. */
    espSize: bytes.multipleOf(1024).optional(),
    extraPartitions: z.array(extraPartitionSchema).default([]),
    /**
     * Write /etc/fstab into the root: the root and the ESP (at /boot/efi, nofail), swap partitions
     * and ext4 partitions with a `mountPoint`, all by PARTUUID. `false` leaves the tree's own.
     */
    fstab: z.boolean().default(true),
    menu: z
      .object({
        title: z.string().min(1).default('Linux'),
        timeout: z.number().int().min(-1).default(1),
        serial: z
          .union([
            z.object({ unit: z.number().int().min(0), speed: z.number().int().positive() }).strict(),
            z.literal(false),
          ])
          .default({ unit: 0, speed: 115200 }),
      })
      .strict()
      .default({ title: 'Linux', timeout: 1, serial: { unit: 0, speed: 115200 } }),
    /** Seeds every GUID/UUID/serial; default: a digest of the inputs. */
    seed: z.string().min(1).optional(),
    sourceDateEpoch: z.number().int().min(315532800).max(4354819199).optional(),
    format: z.enum(['raw', 'qcow2']).default('raw'),
    /** Debian's signed shim + GRUB (+ MokManager) on the ESP instead of our own GRUB; the kernel must be signed. */
    secureBoot: z.boolean().default(false),
    mokManager: z.boolean().default(true),
    /** Overrides of boot-loader's `debianBootFiles` (GRUB directories, shim, signed GRUB, MokManager). */
    bootFiles: z
      .object({
        grubI386PcDir: z.string().min(1),
        grubX8664EfiDir: z.string().min(1),
        shim: z.string().min(1),
        mokManager: z.string().min(1),
        signedGrub: z.string().min(1),
        /** ESP directories where the signed GRUB also looks for grub.cfg (an EL GRUB's /EFI/<vendor>). */
        grubConfigDirs: z.array(z.string().min(1)),
      })
      .partial()
      .strict()
      .default({}),
    logFile: z.string().min(1).optional(),
    /**
     * Where GRUB images and the ESP image are kept between builds, keyed on everything they are
     * made from, so a rebuild with the same kernel, initrd and menu copies them instead (same bytes).
     */
    cacheDir: z.string().min(1).optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict()
  .refine((o) => o.bios || o.uefi, { message: 'at least one of bios and uefi must be true', path: ['bios'] })
  .refine((o) => o.uefi || !o.secureBoot, { message: 'secureBoot needs uefi', path: ['secureBoot'] })
  .refine((o) => o.size === undefined || ('directory' in o.root ? o.root.size : o.root.data.size) === undefined, {
    message: 'give either size (the root or data partition takes the rest) or root.size / root.data.size',
    path: ['size'],
  });

export type AssembleDiskOptions = z.input<typeof assembleDiskOptionsSchema>;
export type NormalisedDiskOptions = z.output<typeof assembleDiskOptionsSchema>;
export type Ext4RootOptions = z.output<typeof ext4RootSchema>;
export type ImageRootOptions = z.output<typeof imageRootSchema>;
