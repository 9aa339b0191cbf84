import { posix } from 'node:path';
import { z } from 'zod';
import { liveKernelArgs } from '@distroforge/initramfs-cpio';
import { defaultMenuEntries, type BootFileLocations, type MenuEntry } from '@distroforge/boot-loader';
import { parseOptions, type OptionIssue } from '@distroforge/core';
import { invalidOptions } from './errors.js';

/** The ESP's FAT label; the ISO label must differ so a label search cannot land on the ESP. */
export const espVolumeLabel = 'EFIBOOT';

/** FAT timestamps cover 1980-01-01 .. 2107-12-31; an epoch outside cannot be stored faithfully. */
const fatEpochRange = [315532800, 4354819199] as const;

/** Kernel arguments: one string (split at whitespace) or a list of arguments. */
const kernelArgsSchema = z
  .union([z.string(), z.array(z.string().min(1).regex(/^\S+$/, 'one argument per item, without whitespace'))])
  .transform((value) => (typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : value));

const isoPathSchema = z
  .string()
  .refine((p) => p.startsWith('/') && posix.normalize(p) === p && p !== '/' && !p.endsWith('/'), {
    message: 'must be an absolute, normalised path inside the ISO',
  });

const menuEntrySchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    title: z
      .string()
      .min(1)
      .regex(/^[^\n\r]*$/, 'one line'),
    /** `linux` (default) boots the live kernel; `local-disk` hands over to the first disk. */
    type: z.enum(['linux', 'local-disk']).default('linux'),
    /** Kernel arguments added after `kernelArgs` (linux entries). */
    append: kernelArgsSchema.default([]),
    hotkey: z
      .string()
      .regex(/^[a-z0-9]$/, 'one lower-case letter or digit')
      .optional(),
  })
  .strict();

const menuSchema = z
  .object({
    /** Title of the live entry; the default entries derive theirs from it. */
    title: z
      .string()
      .min(1)
      .regex(/^[^\n\r]*$/, 'one line')
      .default('Live system'),
    /** Seconds before the default entry boots (0: at once, -1: wait). */
    timeout: z.number().int().min(-1).max(3600).default(5),
    /** Replaces the default entries (live, safe mode, copy to RAM, first local disk). */
    entries: z.array(menuEntrySchema).min(1).optional(),
    /** Appended after the (default or given) entries. */
    extraEntries: z.array(menuEntrySchema).default([]),
    /** Id of the entry booted after the timeout (default: the first entry). */
    defaultEntry: z.string().optional(),
    /** Menu on the serial port too (`true`: unit 0, 115200 baud). */
    serial: z
      .union([
        z.boolean(),
        z.object({ unit: z.number().int().min(0).max(3), speed: z.number().int().positive() }).strict(),
      ])
      .default(true),
  })
  .strict();

const bootFilesSchema = z
  .object({
    grubI386PcDir: z.string(),
    grubX8664EfiDir: z.string(),
    shim: z.string(),
    mokManager: z.string(),
    signedGrub: z.string(),
    /** ESP directories where the signed GRUB also looks for grub.cfg (an EL GRUB's /EFI/<vendor>). */
    grubConfigDirs: z.array(z.string().min(1)),
  })
  .partial()
  .strict();

export const assembleIsoOptionsSchema = z
  .object({
    /** The ISO to write (replaced atomically); `<output>.sha256` is written beside it. */
    output: z.string().min(1),
    /** ISO volume label: GRUB and the live init find the medium by it. */
    label: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1-32 characters: letters, digits, _ and -'),
    kernel: z.string().min(1),
    initrd: z.string().min(1),
    /** squashfs/EROFS root placed at `rootImagePath`. */
    rootImage: z.string().min(1).optional(),
    /** Default `/live/filesystem.squashfs` (`/live/filesystem.erofs` for a `.erofs` file). */
    rootImagePath: isoPathSchema.optional(),
    /** More files or directories: `source` on disk, `path` inside the ISO. */
    extraFiles: z.array(z.object({ source: z.string().min(1), path: isoPathSchema }).strict()).default([]),
    menu: menuSchema.prefault({}),
    /** Arguments of every linux entry (e.g. `boot=live console=ttyS0`). */
    kernelArgs: kernelArgsSchema.default([]),
    bios: z.boolean().default(true),
    uefi: z.boolean().default(true),
    /** Debian's signed shim + GRUB on the ESP (needs a signed kernel). */
    secureBoot: z.boolean().default(false),
    /** Also put shim's MokManager on the ESP (Secure Boot only). */
    mokManager: z.boolean().default(true),
    /** Timestamp of everything in the image; default SOURCE_DATE_EPOCH, else the newest input mtime. */
    sourceDateEpoch: z.number().int().min(0).optional(),
    /** ESP size in bytes (multiple of 1024); default: computed from its content. */
    espSize: z.number().int().positive().optional(),
    /** Overrides of Debian's bootloader file locations. */
    bootFiles: bootFilesSchema.default({}),
    /** Tool log (default `<output>.log`). */
    logFile: z.string().min(1).optional(),
    /**
     * Where GRUB images and the ESP image are kept between builds, keyed on everything they are
     * made from, so a rebuild with the same boot pieces copies them instead (same bytes).
     */
    cacheDir: z.string().min(1).optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();

export type AssembleIsoOptions = z.input<typeof assembleIsoOptionsSchema>;
export type ParsedIsoOptions = z.output<typeof assembleIsoOptionsSchema>;

/** Options after validation and the semantic rules, with the menu resolved. */
export interface NormalisedIsoOptions extends Omit<ParsedIsoOptions, 'bootFiles'> {
  bootFiles: Partial<BootFileLocations>;
  entries: MenuEntry[];
  defaultEntry: string;
  rootImageIsoPath: string | undefined;
}

/** The fixed places of the boot pieces inside the ISO. */
export const isoPaths = {
  kernel: '/live/vmlinuz',
  initrd: '/live/initrd.img',
  grubDir: '/boot/grub',
  grubCfg: '/boot/grub/grub.cfg',
  eltorito: '/boot/grub/i386-pc/eltorito.img',
  bootCatalog: '/boot/grub/boot.cat',
  diskInfo: '/.disk/info',
} as const;

/** Validates (zod), normalises and applies the semantic rules; errors name the offending key. */
export function normaliseIsoOptions(input: AssembleIsoOptions): NormalisedIsoOptions {
  const options = parseOptions(assembleIsoOptionsSchema, input, invalidOptions);
  // The rules below are independent: every one that fails is reported at once.
  const issues: OptionIssue[] = [];
  const fail = (key: string, message: string) => issues.push({ key, message });
  if (!options.bios && !options.uefi) fail('bios', 'at least one of bios and uefi must be enabled');
  if (options.secureBoot && !options.uefi) fail('secureBoot', 'Secure Boot needs uefi');
  if (options.label.toUpperCase() === espVolumeLabel) fail('label', `${espVolumeLabel} is the ESP's own label`);
  const epoch = options.sourceDateEpoch;
  if (epoch !== undefined && options.uefi && (epoch < fatEpochRange[0] || epoch > fatEpochRange[1])) {
    fail('sourceDateEpoch', `FAT (the ESP) stores dates from 1980 to 2107 only: ${epoch}`);
  }

  const given = (options.menu.entries ?? defaultMenuEntriesAsOptions(options.menu.title)).concat(
    options.menu.extraEntries,
  );
  const entries: MenuEntry[] = given.map((e) =>
    e.type === 'local-disk'
      ? { type: 'local-disk', id: e.id, title: e.title, hotkey: e.hotkey }
      : { type: 'linux', id: e.id, title: e.title, append: [...e.append], hotkey: e.hotkey },
  );
  const seen = new Set<string>();
  const hotkeys = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    if (seen.has(entry.id)) fail(`menu.entries.${index}.id`, `duplicate entry id ${entry.id}`);
    seen.add(entry.id);
    if (entry.hotkey !== undefined) {
      if (hotkeys.has(entry.hotkey)) fail(`menu.entries.${index}.hotkey`, `duplicate hotkey ${entry.hotkey}`);
      hotkeys.add(entry.hotkey);
    }
  }
  const defaultEntry = options.menu.defaultEntry ?? entries[0]?.id ?? '';
  if (!seen.has(defaultEntry)) fail('menu.defaultEntry', `no entry has the id ${defaultEntry}`);

  const rootImageIsoPath =
    options.rootImage === undefined
      ? undefined
      : (options.rootImagePath ??
        (/\.erofs$/i.test(options.rootImage) ? '/live/filesystem.erofs' : '/live/filesystem.squashfs'));
  const bootPaths = new Set<string>(Object.values(isoPaths));
  const usedByBoot = (path: string) =>
    bootPaths.has(path) || path === isoPaths.grubDir || path.startsWith(`${isoPaths.grubDir}/`);
  if (rootImageIsoPath !== undefined && usedByBoot(rootImageIsoPath))
    fail('rootImagePath', `${rootImageIsoPath} is used by the boot files`);
  const reserved = new Set<string>([...bootPaths, ...(rootImageIsoPath ? [rootImageIsoPath] : [])]);
  const taken = new Set<string>();
  for (const [index, file] of options.extraFiles.entries()) {
    if (reserved.has(file.path) || usedByBoot(file.path)) {
      fail(`extraFiles.${index}.path`, `${file.path} is used by the boot files`);
    }
    if (taken.has(file.path)) fail(`extraFiles.${index}.path`, `${file.path} given twice`);
    taken.add(file.path);
  }
  if (issues.length > 0) throw invalidOptions(issues);
  return { ...options, entries, defaultEntry, rootImageIsoPath };
}

function defaultMenuEntriesAsOptions(title: string) {
  return defaultMenuEntries(title, liveKernelArgs({ copyToRam: true })).map((e) => ({
    ...e,
    append: e.type === 'linux' ? [...e.append] : [],
  }));
}
