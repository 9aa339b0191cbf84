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
 * The kernel a root filesystem carries: `/boot/vmlinuz-V` (Debian, RPM) or `modules/V/vmlinuz`
 * (Arch's linux packages, which leave the copy to /boot to mkinitcpio), with `lib/modules/V`. With
 * several, the one `preferPackage` installed (read from dpkg's or pacman's file list, so a custom
 * `kernel.file` wins over a newer repository kernel), else the newest.
 */
export async function findKernel(root: string, preferPackage?: string): Promise<KernelFiles> {
  const modulesBase = [join(root, 'usr/lib/modules'), join(root, 'lib/modules')].find((d) => existsSync(d));
  const images = new Map<string, string>();
  for (const v of modulesBase ? await readdir(modulesBase) : []) {
    const image = [join(root, 'boot', `vmlinuz-${v}`), join(modulesBase!, v, 'vmlinuz')].find((f) => existsSync(f));
    if (image) images.set(v, image);
  }
  const versions = [...images.keys()];
  const preferred = preferPackage === undefined ? undefined : await packageKernelVersion(root, preferPackage);
  const version =
    preferred !== undefined && versions.includes(preferred) ? preferred : versions.sort(compareKernelVersions).at(-1);
  if (!version || !modulesBase) {
    throw new CliError(
      'ERR_KERNEL_MISSING',
      `no kernel in ${root}: expected boot/vmlinuz-VERSION or lib/modules/VERSION/vmlinuz, and lib/modules/VERSION`,
      {
        path: root,
        hint: 'add a kernel package to the profile (kernel.package, e.g. linux-image-amd64)',
      },
    );
  }
  return { version, vmlinuz: images.get(version)!, modulesDir: join(modulesBase, version) };
}

function compareKernelVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The kernel version a package installed, from dpkg's or pacman's file list (none for RPM roots or meta-packages). */
async function packageKernelVersion(root: string, name: string): Promise<string | undefined> {
  for (const list of [`${name}.list`, `${name}:amd64.list`]) {
    const text = await readFile(join(root, 'var/lib/dpkg/info', list), 'utf8').catch(() => undefined);
    const match = text === undefined ? null : /^\/boot\/vmlinuz-(\S+)$/m.exec(text);
    if (match) return match[1];
  }
  // pacman's local database: NAME-VERSION/desc names the package, NAME-VERSION/files lists its files.
  const local = join(root, 'var/lib/pacman/local');
  for (const entry of (await readdir(local).catch(() => [] as string[])).filter((d) => d.startsWith(`${name}-`))) {
    const desc = await readFile(join(local, entry, 'desc'), 'utf8').catch(() => '');
    if (!new RegExp(`^%NAME%\\n${name.replace(/[.+]/g, '\\$&')}\\n`, 'm').test(desc)) continue;
    const files = await readFile(join(local, entry, 'files'), 'utf8').catch(() => '');
    return /^usr\/lib\/modules\/([^/]+)\/vmlinuz$/m.exec(files)?.[1];
  }
  return undefined;
}
