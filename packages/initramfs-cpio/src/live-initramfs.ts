import { z } from 'zod';
import { parseOptions } from '@distroforge/core';
import {
  buildBusyboxInitramfs,
  busyboxInitramfsOptionsSchema,
  type BusyboxInitramfsResult,
} from './busybox-initramfs.js';
import { invalidOptions, KernelModuleNotFoundError } from './errors.js';
import { resolveModuleClosure } from './kernel-modules.js';
import { LIVE_MODULES, liveInitOptionsSchema, liveInitScript } from './live-init.js';

export const liveInitramfsOptionsSchema = busyboxInitramfsOptionsSchema
  .omit({ modules: true, init: true })
  .extend({
    /** `lib/modules/<version>` of the kernel that will boot (usually taken from the rootfs). */
    modulesDir: z.string().min(1),
    /**
     * Live init options; `modules` defaults to every LIVE_MODULES entry this kernel has, loaded by
     * need (`loadModules: 'needed'`); a `modules` list given here loads all of it unless
     * `loadModules: 'needed'` is given too. The initramfs holds the closure of the whole list
     * either way, so a command line that needs another module (`live.root=disk rootfstype=xfs`)
     * finds it.
     */
    live: liveInitOptionsSchema.partial().default({}),
  })
  .strict();
export type LiveInitramfsOptions = z.input<typeof liveInitramfsOptionsSchema>;

/**
 * Builds the initramfs of a live system: busybox, the live /init (see `liveInitScript`) and the
 * closure of every module it may load. With the default module list, modules this kernel does not
 * have are left out; modules named explicitly must exist (`ERR_MODULE_NOT_FOUND`).
 */
export async function buildLiveInitramfs(options: LiveInitramfsOptions): Promise<BusyboxInitramfsResult> {
  const { modulesDir, live, ...rest } = parseOptions(
    liveInitramfsOptionsSchema,
    options,
    invalidOptions('buildLiveInitramfs'),
  );
  const names = live.modules ?? (await availableModules(modulesDir, [...LIVE_MODULES]));
  const loadModules = live.loadModules ?? (live.modules === undefined ? 'needed' : 'all');
  const init = liveInitScript({ ...live, modules: names, loadModules });
  return buildBusyboxInitramfs({ ...rest, init, ...(names.length ? { modules: { dir: modulesDir, names } } : {}) });
}

async function availableModules(modulesDir: string, names: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    try {
      await resolveModuleClosure({ modulesDir, names: [name] });
      found.push(name);
    } catch (error) {
      if (!(error instanceof KernelModuleNotFoundError)) throw error;
    }
  }
  return found;
}
