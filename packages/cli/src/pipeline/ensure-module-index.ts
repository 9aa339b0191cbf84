import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { findTool, knownTools, ToolFailedError } from '@distroforge/core';
import type { KernelFiles } from './find-kernel.js';

/**
 * Kernel packages leave modules.dep to their postinst (depmod). When packages were only unpacked
 * (non-root builds, or a kernel fetched on its own) the index is missing: build it with the host's
 * depmod against the tree (`-b`), never touching the host's own modules.
 */
export async function ensureModuleIndex(root: string, kernel: KernelFiles): Promise<boolean> {
  if (existsSync(`${kernel.modulesDir}/modules.dep`)) return false;
  const depmod = await findTool(knownTools.depmod);
  const args = ['-b', root, kernel.version];
  const result = await execa(depmod.path, args, { reject: false, timeout: 300_000 });
  if (result.exitCode !== 0)
    throw new ToolFailedError(
      [depmod.path, ...args],
      result.exitCode,
      String(result.stderr).split('\n').slice(-5).join('\n'),
    );
  return true;
}
