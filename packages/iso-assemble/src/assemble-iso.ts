import { sha256File, sourceDateEpoch as envSourceDateEpoch, writeAtomically } from '@distroforge/core';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import {
  buildEspImage,
  buildGrubImage,
  checkSecureBootFiles,
  debianBootFiles,
  renderGrubMenu,
  renderSearchConfig,
  requireBootFile,
  requireHybridMbr,
  uefiBootFiles,
  type BootFileLocations,
  type SbatCheck,
} from '@distroforge/boot-loader';
import { InputMissingError } from './errors.js';
import { inputDigest, guidFromDigest } from './input-digest.js';
import {
  espVolumeLabel,
  isoPaths,
  normaliseIsoOptions,
  type AssembleIsoOptions,
  type NormalisedIsoOptions,
} from './options.js';
import { runLogged } from '@distroforge/core';
import { findXorriso } from './tools.js';
import { xorrisoArgs, type Graft } from './xorriso-args.js';

export interface AssembledIso {
  path: string;
  sha256: string;
  /** `<path>.sha256`, in `sha256sum` format. */
  sha256File: string;
  size: number;
  label: string;
  sourceDateEpoch: number;
  boot: { bios: boolean; uefi: boolean; secureBoot: boolean };
  /** The ESP (size in bytes, FAT serial), when UEFI boot is on. */
  esp: { size: number; serial: number } | undefined;
  /** The SBAT check of shim and signed GRUB, for Secure Boot builds. */
  sbat: SbatCheck | undefined;
  /** The root image: its path in the ISO and size, to report next to the ISO's size. */
  rootImage: { isoPath: string; size: number } | undefined;
  /** What was placed where in the ISO (besides the generated GRUB files). */
  files: Graft[];
  logFile: string;
}

/**
 * Builds a hybrid live ISO that boots with BIOS and UEFI (optionally Secure Boot), from a CD or
 * written to a USB disk. Deterministic: the same inputs and epoch give the same bytes.
 */
export async function assembleIso(input: AssembleIsoOptions): Promise<AssembledIso> {
  const options = normaliseIsoOptions(input);
  const output = resolve(options.output);
  const logFile = resolve(options.logFile ?? `${output}.log`);
  const locations: BootFileLocations = { ...debianBootFiles, ...options.bootFiles };
  const grafts = await inputGrafts(options);
  const epoch = options.sourceDateEpoch ?? envSourceDateEpoch() ?? (await newestMtime(grafts.map((g) => g.source)));

  await mkdir(dirname(output), { recursive: true });
  await mkdir(dirname(logFile), { recursive: true });
  await writeFile(logFile, `# @distroforge/iso-assemble: ${output}\n`);
  const xorriso = await findXorriso();
  // Every bootloader file is checked before any work, so a missing package fails at once.
  if (options.bios) await requireBootFile(locations, 'grubI386PcDir');
  const hybridMbr = options.bios ? await requireHybridMbr(locations) : undefined;
  if (options.uefi && !options.secureBoot) await requireBootFile(locations, 'grubX8664EfiDir');
  let sbat: SbatCheck | undefined;
  if (options.secureBoot)
    sbat = await checkSecureBootFiles({
      kernel: resolve(options.kernel),
      locations,
      mokManager: options.mokManager,
      logFile,
    });

  const work = await mkdtemp(join(tmpdir(), 'distroforge-iso-'));
  try {
    const stage = await writeStage(join(work, 'stage'), options);
    const search = renderSearchConfig(options.label, { configfile: false, grubDir: isoPaths.grubDir });
    if (options.bios) {
      await buildGrubImage({
        format: 'i386-pc-eltorito',
        output: join(stage, isoPaths.eltorito),
        embeddedConfig: search,
        moduleDir: locations.grubI386PcDir,
        modulePackage: 'grub-pc-bin',
        logFile,
        signal: options.signal,
        cacheDir: options.cacheDir,
      });
    }
    let esp: AssembledIso['esp'];
    let espImage: string | undefined;
    if (options.uefi) {
      espImage = join(work, 'efi.img');
      const files = await uefiBootFiles({
        secureBoot: options.secureBoot,
        findBootFiles: search,
        mokManager: options.mokManager,
        locations,
        workDir: work,
        logFile,
        signal: options.signal,
        cacheDir: options.cacheDir,
      });
      const built = await buildEspImage({
        output: espImage,
        files,
        sourceDateEpoch: epoch,
        volumeLabel: espVolumeLabel,
        ...(options.espSize === undefined ? {} : { size: options.espSize }),
        logFile,
        signal: options.signal,
        cacheDir: options.cacheDir,
      });
      esp = { size: built.size, serial: built.serial };
    }

    // A checksum file from an earlier build must never sit beside the new image.
    await rm(`${output}.sha256`, { force: true });
    const digest = await inputDigest(
      [{ path: '/', source: stage }, ...grafts, ...(espImage ? [{ path: '/.esp', source: espImage }] : [])],
      [options.label],
    );
    await writeAtomically(output, async (temp) => {
      const args = xorrisoArgs({
        gptDiskGuid: espImage ? guidFromDigest(digest) : undefined,
        output: temp,
        label: options.label,
        sourceDateEpoch: epoch,
        grafts: [{ path: '/', source: stage }, ...grafts],
        biosHybridMbr: hybridMbr,
        espImage,
      });
      await runLogged(xorriso.path, args, {
        logFile,
        env: { SOURCE_DATE_EPOCH: String(epoch) },
        signal: options.signal,
      });
    });
    const sha256 = await sha256File(output);
    const sha256Path = `${output}.sha256`;
    await writeAtomically(sha256Path, (temp) => writeFile(temp, `${sha256}  ${basename(output)}\n`));
    return {
      path: output,
      sha256,
      sha256File: sha256Path,
      size: (await stat(output)).size,
      label: options.label,
      sourceDateEpoch: epoch,
      boot: { bios: options.bios, uefi: options.uefi, secureBoot: options.secureBoot },
      esp,
      sbat,
      rootImage:
        options.rootImageIsoPath === undefined || options.rootImage === undefined
          ? undefined
          : { isoPath: options.rootImageIsoPath, size: (await stat(resolve(options.rootImage))).size },
      files: grafts,
      logFile,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The generated files: the GRUB menu, /.disk/info and the directory of the El Torito image. */
async function writeStage(stage: string, options: NormalisedIsoOptions): Promise<string> {
  await mkdir(join(stage, isoPaths.grubDir), { recursive: true });
  if (options.bios) await mkdir(join(stage, dirname(isoPaths.eltorito)), { recursive: true });
  await mkdir(join(stage, dirname(isoPaths.diskInfo)), { recursive: true });
  const menu = renderGrubMenu({
    entries: options.entries,
    defaultEntry: options.defaultEntry,
    timeout: options.menu.timeout,
    serial: options.menu.serial === true ? { unit: 0, speed: 115200 } : options.menu.serial,
    kernel: isoPaths.kernel,
    initrd: isoPaths.initrd,
    kernelArgs: options.kernelArgs,
  });
  await writeFile(join(stage, isoPaths.grubCfg), menu);
  // Debian's signed GRUB falls back to searching for this file.
  await writeFile(join(stage, isoPaths.diskInfo), `${options.menu.title} ${options.label}\n`);
  return stage;
}

/** Kernel, initrd, root image and extra files, checked to exist. */
async function inputGrafts(options: NormalisedIsoOptions): Promise<Graft[]> {
  const grafts: { what: string; graft: Graft }[] = [
    { what: 'kernel', graft: { path: isoPaths.kernel, source: resolve(options.kernel) } },
    { what: 'initrd', graft: { path: isoPaths.initrd, source: resolve(options.initrd) } },
  ];
  if (options.rootImage !== undefined && options.rootImageIsoPath !== undefined) {
    grafts.push({ what: 'root image', graft: { path: options.rootImageIsoPath, source: resolve(options.rootImage) } });
  }
  for (const file of options.extraFiles)
    grafts.push({ what: `extra file ${file.path}`, graft: { path: file.path, source: resolve(file.source) } });
  for (const { what, graft } of grafts) {
    await stat(graft.source).catch((cause: unknown) => {
      throw new InputMissingError(what, graft.source, { cause });
    });
  }
  return grafts.map((g) => g.graft);
}

async function newestMtime(paths: readonly string[]): Promise<number> {
  const times = await Promise.all(paths.map(async (p) => Math.floor((await stat(p)).mtimeMs / 1000)));
  return Math.max(...times);
}
