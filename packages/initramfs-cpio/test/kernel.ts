import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface Kernel {
  root: string;
  version: string;
  vmlinuz: string;
  modulesDir: string;
}

let cached: Promise<Kernel> | undefined;

/** Debian's kernel, unpacked by tools/fetch-kernel (idempotent; CI runs it in tools/setup). */
export function debianKernel(): Promise<Kernel> {
  cached ??= (async () => {
    const repo = resolve(import.meta.dirname, '../../..');
    const root =
      process.env.DISTROFORGE_KERNEL_DIR ??
      (await execa(join(repo, 'tools/fetch-kernel'), { timeout: 600_000 })).stdout.trim();
    const version = (await readFile(join(root, '.version'), 'utf8')).trim();
    return {
      root,
      version,
      vmlinuz: join(root, 'boot', `vmlinuz-${version}`),
      modulesDir: join(root, 'lib/modules', version),
    };
  })();
  return cached;
}

/** `modprobe --show-depends` as the oracle: [kind, path-or-name] per line. */
export async function modprobeShowDepends(
  kernel: Kernel,
  module: string,
  root = kernel.root,
  version = kernel.version,
): Promise<string[]> {
  const { stdout } = await execa('modprobe', ['--show-depends', '-d', root, '-S', version, module], {
    env: { PATH: `${process.env.PATH}:/sbin:/usr/sbin` },
  });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind, value = ''] = line.trim().split(/\s+/);
      return kind === 'insmod' ? value.slice(join(root, 'lib/modules', version).length + 1) : `builtin ${value}`;
    });
}
