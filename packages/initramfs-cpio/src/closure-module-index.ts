import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { findTool, knownTools, ToolFailedError } from '@distroforge/core';

/** The modules to index: a `ModuleClosure`, or any list of paths under a kernel's modules directory. */
export interface ModuleIndexInput {
  /** Kernel version: the modules directory's name. */
  version: string;
  /** `lib/modules/<version>` of the kernel, holding the modules and its modules.order/builtin files. */
  modulesDir: string;
  /** Paths relative to `modulesDir`, as in modules.dep. */
  modules: readonly { path: string }[];
}

/** Index files taken over from the kernel as they are: depmod reads them, it does not write them. */
const COPIED_AS_IS = ['modules.builtin', 'modules.builtin.modinfo'] as const;

/**
 * The module index of exactly a closure's modules, as the host's depmod writes it for them: what
 * modprobe (busybox's text index or kmod's `.bin` files) needs inside an archive that holds only
 * these modules. The kernel's own index describes every module of the kernel (5 MiB of aliases,
 * symbols and dependencies for Debian's), which an initramfs would otherwise carry and the kernel
 * unpack at every boot for nothing.
 *
 * depmod runs in a scratch tree of symlinks to the modules, with an empty configuration directory
 * (the host's /etc/depmod.d must not change the result) and the kernel's modules.order filtered to
 * the closure (it orders modules.dep; without it the order would be the scratch directory's).
 * modules.builtin and modules.builtin.modinfo are the kernel's own. Returns file name -> contents,
 * sorted by name.
 */
export async function closureModuleIndex(closure: ModuleIndexInput): Promise<Map<string, Buffer>> {
  const depmod = await findTool(knownTools.depmod);
  const scratch = await mkdtemp(join(tmpdir(), 'distroforge-depmod-'));
  try {
    const dir = join(scratch, 'lib/modules', closure.version);
    const config = join(scratch, 'depmod.d');
    await mkdir(config, { recursive: true });
    for (const module of closure.modules) {
      const link = join(dir, module.path);
      await mkdir(dirname(link), { recursive: true });
      await symlink(join(closure.modulesDir, module.path), link);
    }
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'modules.order'), await closureOrder(closure));
    for (const name of COPIED_AS_IS) {
      const data = await readFile(join(closure.modulesDir, name)).catch(() => undefined);
      if (data !== undefined) await writeFile(join(dir, name), data);
    }
    const args = ['-C', config, '-b', scratch, closure.version];
    const result = await execa(depmod.path, args, { reject: false, timeout: 60_000 });
    if (result.exitCode !== 0)
      throw new ToolFailedError([depmod.path, ...args], result.exitCode ?? -1, String(result.stderr).trim());
    const files = new Map<string, Buffer>();
    for (const name of await indexFiles(dir)) files.set(name, await readFile(join(dir, name)));
    return files;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The kernel's modules.order lines of the closure's modules, in the kernel's order; modules it does
 * not list (out-of-tree `updates/`, `extra/`) follow, sorted by path. Lines name the uncompressed
 * file (`ext4.ko` for `ext4.ko.xz`), as depmod matches them.
 */
async function closureOrder(closure: ModuleIndexInput): Promise<string> {
  const wanted = new Set(closure.modules.map((m) => m.path));
  const kernelOrder = await readFile(join(closure.modulesDir, 'modules.order'), 'utf8').catch(() => '');
  const ordered: string[] = [];
  for (const line of kernelOrder.split('\n')) {
    const path = [line, `${line}.xz`, `${line}.zst`, `${line}.gz`].find((p) => wanted.has(p));
    if (path === undefined) continue;
    ordered.push(line);
    wanted.delete(path);
  }
  ordered.push(...[...wanted].map((p) => p.replace(/\.(xz|zst|gz)$/, '')).sort());
  return ordered.length ? `${ordered.join('\n')}\n` : '';
}

/** The `modules.*` files of the scratch tree, sorted: depmod's (their set grows with kmod versions: modules.weakdep in 33) and ours. */
async function indexFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const name of await readdir(dir)) {
    if (name.startsWith('modules.') && (await stat(join(dir, name))).isFile()) names.push(name);
  }
  return names.sort();
}
