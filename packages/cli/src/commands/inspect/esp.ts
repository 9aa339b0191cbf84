import { readPeImage, type SbatEntry } from '@distroforge/boot-loader';
import { findTool, knownTools } from '@distroforge/core';
import { execa } from 'execa';
import { dirname, join } from 'node:path';
import { humanSize, type Table } from '../inspect-render.js';

/** An EFI binary as a person asks about it: what program, signed by whom, which SBAT generations. */
export interface EfiBinary {
  path: string;
  size: number;
  program: string;
  signed: boolean;
  signers: string[];
  sbat: SbatEntry[];
}

/** What an EFI system partition holds: its files and the EFI binaries among them. */
export interface EspContents {
  files: { path: string; size: number }[];
  binaries: EfiBinary[];
}

/**
 * Reads the FAT filesystem at `offset` bytes into `image` (an ESP inside an ISO or a disk image)
 * with mtools' `image@@offset` addressing, so nothing is copied out first. Throws a missing-tool
 * error (with its install command) when mtools is absent.
 */
export async function readEsp(image: string, offset: number): Promise<EspContents> {
  const mcopy = await findTool(knownTools.mtools);
  const drive = `${image}@@${offset}`;
  const env = { MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C' };
  const listing = await execa(join(dirname(mcopy.path), 'mdir'), ['-/', '-b', '-i', drive, '::'], {
    env,
    stdin: 'ignore',
  });
  const paths = listing.stdout
    .split('\n')
    .filter((line) => line.startsWith('::/') && !line.endsWith('/'))
    .map((line) => line.slice(2))
    .sort();
  const files: EspContents['files'] = [];
  const binaries: EfiBinary[] = [];
  for (const path of paths) {
    const { stdout } = await execa(join(dirname(mcopy.path), 'mtype'), ['-i', drive, `::${path}`], {
      env,
      stdin: 'ignore',
      encoding: 'buffer',
      // A file's last byte may be a newline: execa strips one by default, even from bytes.
      stripFinalNewline: false,
      maxBuffer: 1 << 30,
    });
    const bytes = Buffer.from(stdout);
    files.push({ path, size: bytes.length });
    const binary = describeEfiBinary(path, bytes);
    if (binary) binaries.push(binary);
  }
  return { files, binaries };
}

/** An EFI binary's description, undefined when `bytes` is not a PE image. */
export function describeEfiBinary(path: string, bytes: Buffer): EfiBinary | undefined {
  const pe = readPeImage(bytes);
  if (!pe) return undefined;
  return {
    path,
    size: bytes.length,
    program: programOf(
      path,
      pe.sbat,
      pe.sections.map((x) => x.name),
    ),
    signed: pe.signed,
    signers: pe.signers,
    sbat: pe.sbat,
  };
}

/**
 * Names the program: SBAT's first component after `sbat` says what it is built from (shim, grub,
 * systemd-boot, linux); shim's MokManager and fallback carry shim's SBAT, so their file names tell;
 * a GRUB image made by grub-mkimage without SBAT still has its `mods` section (the embedded modules).
 */
function programOf(path: string, sbat: SbatEntry[], sections: string[]): string {
  const name = path.split('/').pop()?.toLowerCase() ?? '';
  const component = sbat.find((e) => e.component !== 'sbat')?.component;
  if (/^mm\w+\.efi$/.test(name)) return 'MokManager';
  if (/^fb\w+\.efi$/.test(name)) return 'shim fallback';
  if (component === 'shim') return 'shim';
  if (component === 'grub' || sections.includes('mods')) return 'GRUB';
  if (component === 'systemd-boot' || component === 'systemd') return 'systemd-boot';
  if (component === 'linux' || /^(vmlinuz|bzimage)/.test(name)) return 'Linux kernel';
  if (/^shim\w*\.efi$/.test(name)) return 'shim';
  if (/^grub\w*\.efi$/.test(name)) return 'GRUB';
  return 'EFI application';
}

/** `signed (Microsoft Windows UEFI Driver Publisher)` or `unsigned`. */
export function signatureText(binary: { signed: boolean; signers: string[] }): string {
  if (!binary.signed) return 'unsigned';
  return binary.signers.length > 0 ? `signed (${binary.signers.join('; ')})` : 'signed';
}

/** `sbat 1, shim 4, shim.debian 1`, or `none`. */
export function sbatText(sbat: SbatEntry[]): string {
  return sbat.length > 0 ? sbat.map((e) => `${e.component} ${e.generation}`).join(', ') : 'none';
}

/**
 * The UEFI boot path the firmware takes: the removable-media path `/EFI/BOOT/BOOT<arch>.EFI`, and
 * when that is shim, the `grub<arch>.efi` shim loads from its own directory. Undefined without one.
 */
export function uefiBootPath(esp: EspContents): string | undefined {
  const first = esp.binaries.find((b) => /^\/efi\/boot\/boot\w+\.efi$/i.test(b.path));
  if (!first) return undefined;
  const arch = /boot(\w+)\.efi$/i.exec(first.path)?.[1]?.toLowerCase() ?? 'x64';
  const state = (b: EfiBinary) => (b.signed ? 'signed' : 'unsigned');
  if (first.program !== 'shim') return `${first.program} (${first.path}, ${state(first)})`;
  const dir = first.path.slice(0, first.path.lastIndexOf('/') + 1).toLowerCase();
  const second = esp.binaries.find((b) => b.path.toLowerCase() === `${dir}grub${arch}.efi`);
  if (!second) return `shim (${first.path}, ${state(first)}) → nothing: grub${arch}.efi is missing`;
  const secure = first.signed && second.signed ? 'Secure Boot ready' : 'not Secure Boot ready';
  return `shim → ${second.program} (${first.path} ${state(first)} → ${second.path} ${state(second)}; ${secure})`;
}

/** The EFI binaries as a table: path, program, size, signature, SBAT generations. */
export function efiBinaryTable(binaries: EfiBinary[], pathPrefix = ''): Table {
  return {
    columns: [
      { title: 'path' },
      { title: 'program' },
      { title: 'size', align: 'right' },
      { title: 'SBAT' },
      { title: 'signature' },
    ],
    rows: binaries.map((b) => [pathPrefix + b.path, b.program, humanSize(b.size), sbatText(b.sbat), signatureText(b)]),
  };
}
