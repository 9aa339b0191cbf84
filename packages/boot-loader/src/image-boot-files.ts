import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInRoot, sha256File } from '@distroforge/core';
import { debianBootFiles, type BootFileLocations } from './boot-files.js';
import { BootFilesIncompleteError } from './errors.js';
import { defaultGrubModules } from './grub-image.js';
import { findGrubMkimage } from './tools.js';

/** One of the keys of BootFileLocations: a GRUB directory or a boot binary. */
export type BootFileKey = keyof Omit<BootFileLocations, 'grubConfigDirs'>;

/** The firmware a medium boots with; each needs its own set of boot files. */
export type BootFirmware = 'bios' | 'uefi' | 'uefi-secureboot';

/**
 * How a distribution lays out its boot files: Debian's packages, an EL one's (RHEL, Rocky, Fedora),
 * or Arch's (`grub` ships both module directories; no signed shim in its repositories).
 */
export type BootFileLayout = 'debian' | 'el' | 'arch';

/** Where one boot file of an image came from. */
export interface BootFileOrigin {
  /** The path inside the image, as the image names it (`/boot/efi/EFI/rocky/shimx64.efi`). */
  imagePath: string;
  layout: BootFileLayout;
  /** The package of that layout that ships it (`shim-x64`, `grub-efi-amd64-signed`). */
  package: string;
}

/** What the image holds of one firmware's boot files. */
export type ImageFirmwareBootFiles =
  | { status: 'complete'; keys: BootFileKey[] }
  | { status: 'absent'; keys: BootFileKey[] }
  | { status: 'partial'; keys: BootFileKey[]; error: BootFilesIncompleteError };

/** The boot files found inside an image root (findImageBootFiles). */
export interface ImageBootFiles {
  root: string;
  /** Host paths of the files found, resolved inside the root; same keys as debianBootFiles. */
  locations: Partial<BootFileLocations>;
  /** Where each found file is in the image and which package ships it. */
  origins: Partial<Record<BootFileKey, BootFileOrigin>>;
  /** Per firmware: whether the image carries its whole set, none of it, or part of it. */
  firmware: Record<BootFirmware, ImageFirmwareBootFiles>;
}

export interface FindImageBootFilesOptions {
  /** Secure Boot needs shim's MokManager too (default true, as iso-assemble's `mokManager`). */
  mokManager?: boolean;
  /**
   * The version of the grub-mkimage that will build images from the image's GRUB modules (default:
   * the host's, asked once; `false`: no check). Modules of another GRUB release (their `modinfo.sh`
   * says `grub_version`) are not used: grub-mkimage and the modules it packs must match.
   */
  grubMkimageVersion?: string | false;
}

/** The boot files each firmware needs (`uefi` is without Secure Boot: our GRUB built from modules). */
export function firmwareBootFileKeys(firmware: BootFirmware, options: FindImageBootFilesOptions = {}): BootFileKey[] {
  if (firmware === 'bios') return ['grubI386PcDir'];
  if (firmware === 'uefi') return ['grubX8664EfiDir'];
  return ['shim', 'signedGrub', ...(options.mokManager === false ? [] : (['mokManager'] as const))];
}

// What a GRUB platform directory must hold for our images: grub-mkimage's kernel and module list,
// the boot sectors (El Torito, hybrid MBR, disk) and every module we build in.
const grubDirFiles: Record<'grubI386PcDir' | 'grubX8664EfiDir', readonly string[]> = {
  grubI386PcDir: [
    'kernel.img',
    'moddep.lst',
    'boot.img',
    'boot_hybrid.img',
    'cdboot.img',
    'diskboot.img',
    ...defaultGrubModules.bios.map((m) => `${m}.mod`),
  ],
  grubX8664EfiDir: ['kernel.img', 'moddep.lst', ...defaultGrubModules.efi.map((m) => `${m}.mod`)],
};

const descriptions: Record<BootFileKey, string> = {
  grubI386PcDir: 'GRUB i386-pc (BIOS) directory',
  grubX8664EfiDir: 'GRUB x86_64-efi directory',
  shim: 'signed shim',
  mokManager: 'signed MokManager',
  signedGrub: 'signed GRUB EFI image',
};

const elPackages: Record<BootFileKey, string> = {
  grubI386PcDir: 'grub2-pc-modules',
  grubX8664EfiDir: 'grub2-efi-x64-modules',
  shim: 'shim-x64',
  mokManager: 'shim-x64',
  signedGrub: 'grub2-efi-x64',
};

const debianPackages: Record<BootFileKey, string> = {
  grubI386PcDir: 'grub-pc-bin',
  grubX8664EfiDir: 'grub-efi-amd64-bin',
  shim: 'shim-signed',
  mokManager: 'shim-helpers-amd64-signed',
  signedGrub: 'grub-efi-amd64-signed',
};

/** shim-x64's copy of shim as the removable-media loader, used when the vendor directory has none. */
const elFallbackShim = '/boot/efi/EFI/BOOT/BOOTX64.EFI';

/** A candidate path of one key in the image, and what is wrong with it when it cannot be used. */
interface Probe {
  key: BootFileKey;
  imagePath: string;
  layout: BootFileLayout;
  host?: string;
  problem?: string;
}

/**
 * Finds the boot files an image root carries, in Debian's layout (shim-signed, grub-efi-amd64-signed,
 * grub-pc-bin, grub-efi-amd64-bin: the paths of debianBootFiles under the root) and in an EL one's
 * (shim-x64 and grub2-efi-x64 in `/boot/efi/EFI/<vendor>/`, shim also as `/boot/efi/EFI/BOOT/BOOTX64.EFI`,
 * grub2-pc-modules and grub2-efi-x64-modules in `/usr/lib/grub/<platform>`). Symlinks are resolved
 * inside the root (core's resolveInRoot): one that would leave it makes its file unusable, never a
 * host file. A firmware is `complete` when every file it needs is there (GRUB directories with our
 * modules), `absent` when none is, else `partial` with a BootFilesIncompleteError naming what is
 * missing and which packages ship it.
 */
export async function findImageBootFiles(
  root: string,
  options: FindImageBootFilesOptions = {},
): Promise<ImageBootFiles> {
  // Which packages the GRUB directories come from: by the package manager's database in the root.
  const layout: BootFileLayout = (await isDirectory(root, '/var/lib/dpkg'))
    ? 'debian'
    : (await isDirectory(root, '/var/lib/pacman/local'))
      ? 'arch'
      : 'el';
  const vendors = await elVendors(root);
  const candidates: Omit<Probe, 'host' | 'problem'>[] = [
    { key: 'grubI386PcDir', imagePath: debianBootFiles.grubI386PcDir, layout },
    { key: 'grubX8664EfiDir', imagePath: debianBootFiles.grubX8664EfiDir, layout },
    { key: 'shim', imagePath: debianBootFiles.shim, layout: 'debian' },
    { key: 'signedGrub', imagePath: debianBootFiles.signedGrub, layout: 'debian' },
    { key: 'mokManager', imagePath: debianBootFiles.mokManager, layout: 'debian' },
    ...vendors.flatMap((v) => [
      { key: 'shim' as const, imagePath: `/boot/efi/EFI/${v}/shimx64.efi`, layout: 'el' as const },
      { key: 'signedGrub' as const, imagePath: `/boot/efi/EFI/${v}/grubx64.efi`, layout: 'el' as const },
      { key: 'mokManager' as const, imagePath: `/boot/efi/EFI/${v}/mmx64.efi`, layout: 'el' as const },
    ]),
    { key: 'shim', imagePath: elFallbackShim, layout: 'el' },
  ];
  const mkimage =
    options.grubMkimageVersion ??
    (await findGrubMkimage().then(
      (t) => t.version,
      () => false as const,
    ));
  const probes = await Promise.all(candidates.map((c) => probe(root, c, mkimage)));
  const found: ImageBootFiles = { root, locations: {}, origins: {}, firmware: {} as ImageBootFiles['firmware'] };
  const use = (p: Probe) => {
    if (p.host === undefined || found.locations[p.key] !== undefined) return;
    found.locations[p.key] = p.host;
    found.origins[p.key] = { imagePath: p.imagePath, layout: p.layout, package: packageOf(p.key, p.layout) };
  };
  // The GRUB directories are the same paths in both layouts.
  for (const p of probes.filter((p) => p.key === 'grubI386PcDir' || p.key === 'grubX8664EfiDir')) use(p);
  // shim, GRUB and MokManager come as one pair from one layout (one vendor directory): the layout
  // with the most of them, Debian's first on a tie.
  const secureBootKeys = firmwareBootFileKeys('uefi-secureboot', options);
  const secureBootProbes = probes.filter((p) => secureBootKeys.includes(p.key));
  const elGroup = (vendor: string | undefined) =>
    secureBootProbes.filter(
      (p) =>
        p.layout === 'el' &&
        ((vendor !== undefined && p.imagePath.startsWith(`/boot/efi/EFI/${vendor}/`)) ||
          p.imagePath === elFallbackShim),
    );
  const groups: { vendor: string | undefined; probes: Probe[] }[] = [
    { vendor: undefined, probes: secureBootProbes.filter((p) => p.layout === 'debian') },
    ...(vendors.length > 0 ? vendors : [undefined]).map((vendor) => ({ vendor, probes: elGroup(vendor) })),
  ];
  const score = (group: { probes: Probe[] }) =>
    new Set(group.probes.filter((p) => p.host !== undefined).map((p) => p.key)).size;
  const chosen = groups.reduce((a, b) => (score(b) > score(a) ? b : a));
  const best = chosen.probes;
  for (const p of best) use(p);
  // An EL GRUB reads grub.cfg from its built-in prefix, /EFI/<vendor> on the ESP.
  if (chosen.vendor !== undefined && found.locations.signedGrub !== undefined)
    found.locations.grubConfigDirs = [`/EFI/${chosen.vendor}`];
  for (const firmware of ['bios', 'uefi', 'uefi-secureboot'] as const) {
    const keys = firmwareBootFileKeys(firmware, options);
    const relevant = firmware === 'uefi-secureboot' ? best : probes.filter((p) => keys.includes(p.key));
    const present = keys.filter((k) => found.locations[k] !== undefined);
    const touched = probes
      .filter((p) => keys.includes(p.key))
      .some((p) => p.host !== undefined || (p.problem !== undefined && p.problem !== 'missing'));
    if (present.length === keys.length) found.firmware[firmware] = { status: 'complete', keys };
    else if (!touched) found.firmware[firmware] = { status: 'absent', keys };
    else {
      const lacking = keys
        .filter((k) => found.locations[k] === undefined)
        .map((k) => {
          const tried = relevant.filter((p) => p.key === k);
          const why = tried.map((p) => `${p.imagePath} (${p.problem ?? 'missing'})`).join(', ');
          return { key: k, description: descriptions[k], package: packageOf(k, tried[0]?.layout ?? layout), why };
        });
      found.firmware[firmware] = {
        status: 'partial',
        keys,
        error: new BootFilesIncompleteError(firmware, root, lacking),
      };
    }
  }
  return found;
}

/** Throws the firmware's BootFilesIncompleteError when the image holds part of its set. */
export function requireImageBootFiles(
  found: ImageBootFiles,
  firmware: BootFirmware,
): Pick<BootFileLocations, BootFileKey> | undefined {
  const state = found.firmware[firmware];
  if (state.status === 'partial') throw state.error;
  if (state.status === 'absent') return undefined;
  return found.locations as Pick<BootFileLocations, BootFileKey>;
}

function packageOf(key: BootFileKey, layout: BootFileLayout): string {
  if (layout === 'arch') return key === 'grubI386PcDir' || key === 'grubX8664EfiDir' ? 'grub' : debianPackages[key];
  return (layout === 'el' ? elPackages : debianPackages)[key];
}

/** `/boot/efi/EFI/<vendor>` directories (not BOOT), sorted. */
async function elVendors(root: string): Promise<string[]> {
  let dir: string;
  try {
    dir = join(root, await resolveInRoot(root, '/boot/efi/EFI', { followFinal: true }));
  } catch {
    return [];
  }
  const names = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return names
    .filter((d) => d.isDirectory() && d.name.toUpperCase() !== 'BOOT')
    .map((d) => d.name)
    .sort();
}

async function isDirectory(root: string, path: string): Promise<boolean> {
  try {
    return (await stat(join(root, await resolveInRoot(root, path, { followFinal: true })))).isDirectory();
  } catch {
    return false;
  }
}

async function probe(
  root: string,
  candidate: Omit<Probe, 'host' | 'problem'>,
  mkimage: string | false,
): Promise<Probe> {
  let host: string;
  try {
    host = join(root, await resolveInRoot(root, candidate.imagePath, { followFinal: true }));
  } catch (error) {
    // A symlink that leaves the root, loops or is too long: never a host file.
    return { ...candidate, problem: error instanceof Error ? error.message : String(error) };
  }
  const info = await stat(host).catch(() => undefined);
  if (info === undefined) return { ...candidate, problem: 'missing' };
  if (candidate.key === 'grubI386PcDir' || candidate.key === 'grubX8664EfiDir') {
    if (!info.isDirectory()) return { ...candidate, problem: 'not a directory' };
    const missing: string[] = [];
    for (const name of grubDirFiles[candidate.key]) {
      // Inside the platform directory too, a link must stay in the root.
      // grub-mkimage reads the directory on the host, where an absolute link would point at the
      // host's file: every file we need must be a plain file in the directory itself.
      const inRoot = await resolveInRoot(root, join(candidate.imagePath, name), { followFinal: true }).catch(
        () => undefined,
      );
      const file = inRoot === undefined ? undefined : join(root, inRoot);
      if (file === undefined || file !== join(host, name) || !(await lstat(file).catch(() => undefined))?.isFile())
        missing.push(name);
    }
    if (missing.length > 0) return { ...candidate, problem: `lacks ${missing.join(', ')}` };
    const release = await grubRelease(join(host, 'modinfo.sh'));
    if (mkimage !== false && release !== undefined && majorMinor(release) !== majorMinor(mkimage)) {
      return { ...candidate, problem: `GRUB ${release} modules, but grub-mkimage is ${mkimage}` };
    }
    return { ...candidate, host };
  }
  if (!info.isFile()) return { ...candidate, problem: 'not a file' };
  return { ...candidate, host };
}

/** `grub_version` of a GRUB platform directory's modinfo.sh (written by GRUB's build), if it has one. */
async function grubRelease(modinfo: string): Promise<string | undefined> {
  const info = await lstat(modinfo).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return /^grub_version="([^"]+)"/m.exec(await readFile(modinfo, 'utf8'))?.[1];
}

const majorMinor = (version: string) => /^(\d+)\.(\d+)/.exec(version)?.slice(1, 3).join('.') ?? version;

/**
 * sha256 of each boot file a set uses (a GRUB directory: of its sorted `name sha256` lines), for
 * cache keys: a changed shim, GRUB or module rebuilds what is made from it.
 */
export async function bootFileDigests(
  locations: Partial<BootFileLocations>,
  keys: readonly BootFileKey[],
): Promise<Partial<Record<BootFileKey, string>>> {
  // All files at once: a GRUB directory holds ~300 modules, and one read after the other waited
  // ~0.4 s for the thread pool while a build's other stages used it (the ISO and the disk stages
  // start only once their keys, which hold these digests, are known).
  const entries = await Promise.all(
    keys.map(async (key): Promise<[BootFileKey, string | undefined]> => {
      const path = locations[key];
      return [key, path === undefined ? undefined : await bootFileDigest(path)];
    }),
  );
  const digests: Partial<Record<BootFileKey, string>> = {};
  for (const [key, digest] of entries) if (digest !== undefined) digests[key] = digest;
  return digests;
}

/** A file's sha256, or a directory's: of its regular files' sorted `name sha256` lines; undefined when missing. */
async function bootFileDigest(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return undefined;
  if (!info.isDirectory()) return sha256File(path);
  const lines = await Promise.all(
    (await readdir(path)).sort().map(async (name) => {
      const entry = await stat(join(path, name)).catch(() => undefined);
      return entry?.isFile() ? `${name} ${await sha256File(join(path, name))}\n` : '';
    }),
  );
  return createHash('sha256').update(lines.join('')).digest('hex');
}
