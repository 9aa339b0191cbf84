import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DistroforgeError } from '@distroforge/core';

export interface KernelFiles {
  version: string;
  vmlinuz: string;
  modulesDir: string;
}

/** The kernel a root filesystem carries: `/boot/vmlinuz-V` and `/lib/modules/V` (newest if several). */
export async function findKernel(root: string): Promise<KernelFiles> {
  const modulesBase = [join(root, 'usr/lib/modules'), join(root, 'lib/modules')].find((d) => existsSync(d));
  const versions = modulesBase ? (await readdir(modulesBase)).filter((v) => existsSync(join(root, 'boot', `vmlinuz-${v}`))) : [];
  const version = versions.sort(compareKernelVersions).at(-1);
  if (!version || !modulesBase) {
    throw new DistroforgeError('ERR_KERNEL_MISSING', `no kernel in ${root}: expected boot/vmlinuz-VERSION and lib/modules/VERSION`, {
      path: root,
      hint: 'add a kernel package to the profile (kernel.package, e.g. linux-image-amd64)',
    });
  }
  return { version, vmlinuz: join(root, 'boot', `vmlinuz-${version}`), modulesDir: join(modulesBase, version) };
}

function compareKernelVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
