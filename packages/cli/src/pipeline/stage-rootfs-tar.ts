import { readManifest } from '@distroforge/core';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageResult } from '../engine/stage-cache.js';
import type { BuildContext } from './build-context.js';
import { writeRootfsTar } from './rootfs-tar.js';
import type { OverlayStageResult } from './stage-overlay.js';

export interface RootfsTarStageResult {
  file: string;
  bytes: number;
  entries: number;
  /** Files whose capabilities the tar does not carry. */
  capsNotApplied: string[];
}

/**
 * Stage 5c: the finished root as a tar (e.g. for `podman import`, a container base or a chroot):
 * the overlay tree with the manifest's owners, modes and device nodes, reproducible byte for byte.
 */
export async function rootfsTarStage(
  ctx: BuildContext,
  overlay: StageResult<OverlayStageResult>,
): Promise<StageResult<RootfsTarStageResult>> {
  // As root the overlay tree carries the manifest's owners already; without root it is all the builder's.
  const owner = process.getuid?.() === 0 ? ('disk' as const) : ('root' as const);
  return ctx.cache.run({
    name: 'rootfs-tar',
    inputs: { epoch: ctx.epoch, owner },
    upstream: [overlay.key],
    describe: (r) => `${r.entries} entries, ${(r.bytes / 1048576).toFixed(0)} MiB`,
    run: async (dir) => {
      const file = `${ctx.loaded.profile.name}.rootfs.tar`;
      const tar = await writeRootfsTar({
        directory: join(overlay.dir, 'rootfs'),
        manifest: await readManifest(join(overlay.dir, 'manifest.json')),
        output: join(dir, file),
        sourceDateEpoch: ctx.epoch,
        owner,
      });
      if (tar.capsNotApplied.length)
        ctx.reporter.say(
          `note: the rootfs tar carries no file capabilities; dropped on ${tar.capsNotApplied.length} file(s)`,
        );
      // Hashed while written: publishing reuses it.
      await writeFile(join(dir, `${file}.sha256`), `${tar.sha256}\n`);
      return { file, bytes: tar.bytes, entries: tar.entries, capsNotApplied: tar.capsNotApplied };
    },
  });
}
