import { existsSync } from 'node:fs';
import { CliError } from '../errors.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';


export interface KernelFiles {
  version: string;
  vmlinuz: string;
  modulesDir: string;
}

/**
 * The kernel a root filesystem carries: `/boot/vmlinuz-V` and `/lib/modules/V`. With several, the
 * one `preferPackage` installed (read from dpkg's file list, so a custom `kernel.file` wins over a
 * newer repository kernel), else the newest.
 */
export async function findKernel(root: string, preferPackage?: string): Promise<KernelFiles> {
  const modulesBase = [join(root, 'usr/lib/modules'), join(root, 'lib/modules')].find((d) => existsSync(d));
  const versions = modulesBase ? (await readdir(modulesBase)).filter((v) => existsSync(join(root, 'boot', `vmlinuz-${v}`))) : [];
  const preferred = preferPackage === undefined ? undefined : await packageKernelVersion(root, preferPackage);
  const version = preferred !== undefined && versions.includes(preferred) ? preferred : versions.sort(compareKernelVersions).at(-1);
  if (!version || !modulesBase) {
    throw new CliError('ERR_KERNEL_MISSING', `no kernel in ${root}: expected boot/vmlinuz-VERSION and lib/modules/VERSION`, {
      path: root,
      hint: 'add a kernel package to the profile (kernel.package, e.g. linux-image-amd64)',
    });
  }
  return { version, vmlinuz: join(root, 'boot', `vmlinuz-${version}`), modulesDir: join(modulesBase, version) };
}

function compareKernelVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The `/boot/vmlinuz-V` version a Debian package installed, from dpkg's file list (none for RPM roots or meta-packages). */
async function packageKernelVersion(root: string, name: string): Promise<string | undefined> {
  for (const list of [`${name}.list`, `${name}:amd64.list`]) {
    const text = await readFile(join(root, 'var/lib/dpkg/info', list), 'utf8').catch(() => undefined);
    const match = text === undefined ? null : /^\/boot\/vmlinuz-(\S+)$/m.exec(text);
    if (match) return match[1];
  }
  return undefined;
}
