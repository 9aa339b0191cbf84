import { ToolMissingError } from '@distroforge/core';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';

export interface OvmfFiles {
  /** Read-only firmware code (pflash unit 0). */
  code: string;
  /** Template for the variable store (pflash unit 1); copy it before use. */
  vars: string;
}

/** Where distributions install OVMF (Debian/Ubuntu `ovmf`, Fedora/Arch `edk2-ovmf`). */
const DIRS = [
  '/usr/share/OVMF',
  '/usr/share/ovmf',
  '/usr/share/edk2/x64',
  '/usr/share/edk2/ovmf',
  '/usr/share/edk2-ovmf/x64',
];

/** Code/vars pairs, preferred first. Secure Boot needs the SMM build and vars with Microsoft's keys enrolled. */
const PAIRS = {
  plain: [
    ['OVMF_CODE_4M.fd', 'OVMF_VARS_4M.fd'],
    ['OVMF_CODE.fd', 'OVMF_VARS.fd'],
  ],
  secureBoot: [
    ['OVMF_CODE_4M.ms.fd', 'OVMF_VARS_4M.ms.fd'],
    ['OVMF_CODE_4M.secboot.fd', 'OVMF_VARS_4M.ms.fd'],
    ['OVMF_CODE.secboot.fd', 'OVMF_VARS.secboot.fd'],
  ],
} as const;

/** Finds OVMF (optionally the Secure Boot build); missing firmware is a ToolMissingError with the install command. */
export async function findOvmf(options: { secureBoot?: boolean; dirs?: readonly string[] } = {}): Promise<OvmfFiles> {
  const pairs = options.secureBoot ? PAIRS.secureBoot : PAIRS.plain;
  for (const dir of options.dirs ?? DIRS) {
    for (const [code, vars] of pairs) {
      const found = { code: join(dir, code), vars: join(dir, vars) };
      if ((await readable(found.code)) && (await readable(found.vars))) return found;
    }
  }
  const wanted = pairs[0][0];
  throw new ToolMissingError(wanted, 'apt-get install ovmf', {
    path: join(DIRS[0] as string, wanted),
    hint: `install UEFI firmware for QEMU with: apt-get install ovmf (looked in ${(options.dirs ?? DIRS).join(', ')})`,
  });
}

/** Checks user-given OVMF files and reports a missing one the same way. */
export async function checkOvmfFiles(files: OvmfFiles): Promise<OvmfFiles> {
  for (const file of [files.code, files.vars]) {
    if (!(await readable(file))) throw new ToolMissingError(file, 'apt-get install ovmf', { path: file });
  }
  return files;
}

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
