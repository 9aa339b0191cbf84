import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrubModuleMissingError } from './errors.js';
import { findGrubMkimage } from './tools.js';
import { cachedArtifact, directoryStamp, fileStamp, runLogged } from '@distroforge/core';

/**
 * GRUB image formats we build: `i386-pc-eltorito` (El Torito no-emulation CD boot image, also
 * reached through boot_hybrid.img when the ISO is a USB disk), `i386-pc` (core.img for a BIOS boot
 * partition) and `x86_64-efi` (BOOTX64.EFI without Secure Boot).
 */
export type GrubImageFormat = 'i386-pc-eltorito' | 'i386-pc' | 'x86_64-efi';

/** Modules common to both firmware types: find the medium by label, read ISO/FAT/ext, boot Linux, serial + console menus. */
const commonModules = [
  'all_video',
  'cat',
  'chain',
  'configfile',
  'echo',
  'ext2',
  'fat',
  'gzio',
  'halt',
  'iso9660',
  'linux',
  'ls',
  'minicmd',
  'normal',
  'part_gpt',
  'part_msdos',
  'probe',
  'reboot',
  'regexp',
  'search',
  'search_fs_file',
  'search_fs_uuid',
  'search_label',
  'serial',
  'sleep',
  'squash4',
  'terminal',
  'test',
  'true',
];

/**
 * Built-in modules per platform. Everything is built in, nothing loaded later: the same grub.cfg
 * must also run under Debian's signed GRUB, which cannot `insmod` with Secure Boot on.
 */
export const defaultGrubModules: Readonly<Record<'bios' | 'efi', readonly string[]>> = {
  bios: [...commonModules, 'biosdisk'].sort(),
  efi: [...commonModules, 'efi_gop', 'efi_uga'].sort(),
};

export interface BuildGrubImageOptions {
  format: GrubImageFormat;
  output: string;
  /** Modules built into the image (default: defaultGrubModules for the platform). */
  modules?: readonly string[];
  /** A GRUB script run before normal mode (typically: find the medium, set `prefix`). */
  embeddedConfig: string;
  /** Built-in prefix, used when the embedded config does not set one (default `/boot/grub`). */
  prefix?: string;
  /** GRUB's module directory for the platform (default Debian's /usr/lib/grub/<platform>). */
  moduleDir: string;
  /** The Debian package that ships `moduleDir`, named when modules are missing. */
  modulePackage: string;
  logFile: string;
  signal?: AbortSignal | undefined;
  /**
   * Where images are kept between builds (see core's cachedArtifact): an image made from the same
   * format, modules, config, prefix, module directory and grub-mkimage is copied, not rebuilt.
   */
  cacheDir?: string | undefined;
}

/**
 * Builds a GRUB image with `grub-mkimage` (reproducible, unlike grub-mkstandalone/grub-mkrescue,
 * whose memdisk carries build-time mtimes). Missing modules are a GrubModuleMissingError.
 */
export async function buildGrubImage(options: BuildGrubImageOptions): Promise<string> {
  const platform = options.format === 'x86_64-efi' ? 'efi' : 'bios';
  const modules = [...(options.modules ?? defaultGrubModules[platform])];
  await requireGrubModules(options.format, options.moduleDir, modules, options.modulePackage);
  const grubMkimage = await findGrubMkimage();
  const prefix = options.prefix ?? '/boot/grub';
  const key = {
    format: options.format,
    modules,
    prefix,
    embeddedConfig: options.embeddedConfig,
    moduleDir: await directoryStamp(options.moduleDir),
    grubMkimage: await fileStamp(grubMkimage.path),
  };
  await cachedArtifact(options.cacheDir, `grub-${options.format}`, key, options.output, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'distroforge-grub-'));
    try {
      const config = join(dir, 'embed.cfg');
      await writeFile(config, options.embeddedConfig);
      await runLogged(
        grubMkimage.path,
        ['-O', options.format, '-d', options.moduleDir, '-p', prefix, '-c', config, '-o', options.output, ...modules],
        {
          logFile: options.logFile,
          timeoutMs: 120_000,
          signal: options.signal,
        },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  return options.output;
}

/** Throws GrubModuleMissingError naming every module absent from `moduleDir`. */
export async function requireGrubModules(
  format: string,
  moduleDir: string,
  modules: readonly string[],
  debianPackage: string,
): Promise<void> {
  const missing: string[] = [];
  for (const name of modules) {
    try {
      await access(join(moduleDir, `${name}.mod`), constants.R_OK);
    } catch {
      missing.push(name);
    }
  }
  if (missing.length > 0) throw new GrubModuleMissingError(format, missing, moduleDir, debianPackage);
}
