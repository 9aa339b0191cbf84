import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBusyboxInitramfs } from '@distroforge/initramfs-cpio';
import type { StageResult } from '../engine/stage-cache.js';
import { hashTree } from '../engine/hash-tree.js';
import type { BuildContext } from './build-context.js';
import type { KernelStageResult } from './stage-kernel.js';
import { overlayFiles } from './overlay-files.js';

/** What the minimal system's init prints once it is up (examples/minimal waits for it). */
export const BUSYBOX_READY_MARKER = 'distroforge: ready';

export interface BusyboxInitramfsStageResult {
  initrd: string;
  initrdBytes: number;
  modules: number;
}

/**
 * For busybox profiles the initramfs is the whole system: busybox, the profile's overlay and
 * hostname, the requested modules, and an init that ends in a console shell.
 */
export async function busyboxInitramfsStage(
  ctx: BuildContext,
  kernel: StageResult<KernelStageResult>,
): Promise<StageResult<BusyboxInitramfsStageResult>> {
  const { profile, overlayDir } = ctx.loaded;
  return ctx.cache.run({
    name: 'initramfs',
    inputs: {
      modules: profile.kernel.modules,
      hostname: profile.hostname ?? profile.name,
      overlay: overlayDir ? await hashTree(overlayDir) : null,
      epoch: ctx.epoch,
    },
    upstream: [kernel.key],
    describe: (r) => `${r.modules} modules, ${(r.initrdBytes / 1048576).toFixed(1)} MiB`,
    run: async (dir) => {
      const hostname = profile.hostname ?? profile.name;
      const files = overlayDir ? await overlayFiles(overlayDir) : [];
      const result = await buildBusyboxInitramfs({
        ...(profile.kernel.modules.length
          ? { modules: { dir: join(kernel.dir, kernel.result.modulesDir), names: profile.kernel.modules } }
          : {}),
        init: { marker: BUSYBOX_READY_MARKER, commands: [`hostname ${hostname}`], then: 'shell' },
        extraFiles: [
          { path: '/etc/hostname', content: `${hostname}\n`, mode: 0o644 },
          ...(await Promise.all(
            files.map(async (f) => ({ path: f.path, content: await readFile(f.source), mode: f.mode })),
          )),
        ],
        output: join(dir, 'initrd.img'),
        compress: 'gzip',
        sourceDateEpoch: ctx.epoch,
      });
      return {
        initrd: 'initrd.img',
        initrdBytes: (await stat(join(dir, 'initrd.img'))).size,
        modules: result.modules?.modules.length ?? 0,
      };
    },
  });
}
