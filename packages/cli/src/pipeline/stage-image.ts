import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { readManifest } from '@distroforge/core';
import { createErofs, createSquashfs } from '@distroforge/squashfs-wrap';
import type { StageResult } from '../engine/stage-cache.js';
import type { BuildContext } from './build-context.js';
import { imageSettings } from './image-compression.js';

export interface ImageStageResult {
  file: string;
  bytes: number;
  type: 'squashfs' | 'erofs';
  /** File capabilities the image format/tool version could not store (squashfs-tools < 4.6). */
  droppedCaps: string[];
}

/** Stage 3: the finished root becomes a compressed read-only image, ownership from the manifest. */
export async function imageStage(
  ctx: BuildContext,
  overlay: StageResult<unknown>,
): Promise<StageResult<ImageStageResult>> {
  const image = imageSettings(ctx.loaded.profile.image, ctx.mode);
  // As root the overlay tree carries the manifest's owners (the overlay stage applied them);
  // without root it is all the builder's, and what the manifest does not name is root's.
  const owner = process.getuid?.() === 0 ? ('disk' as const) : ('root' as const);
  return ctx.cache.run({
    name: 'image',
    inputs: { image, epoch: ctx.epoch, owner },
    upstream: [overlay.key],
    describe: (r) => `${r.type} ${(r.bytes / 1048576).toFixed(1)} MiB`,
    run: async (dir) => {
      const manifest = await readManifest(join(overlay.dir, 'manifest.json'));
      const file = `filesystem.${image.type}`;
      const output = join(dir, file);
      const common = {
        source: join(overlay.dir, 'rootfs'),
        output,
        manifest,
        sourceDateEpoch: ctx.epoch,
        logFile: join(dir, 'image.log'),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      };
      let droppedCaps: string[] = [];
      if (image.type === 'erofs') {
        await createErofs({ ...common });
      } else {
        // Caps need squashfs-tools >= 4.6 (xattr pseudo definitions); older tools build without
        // them and the build report names what was dropped.
        const result = await createSquashfs({
          ...common,
          compression: { algorithm: image.compression, ...(image.level === undefined ? {} : { level: image.level }) },
          unsupportedCaps: 'drop',
          owner,
          onProgress: (e) => ctx.reporter.emit({ type: 'progress', stage: 'image', percent: e.percent }),
        });
        droppedCaps = result.droppedCaps.map((c) => (typeof c === 'string' ? c : JSON.stringify(c)));
        if (droppedCaps.length)
          ctx.reporter.say(
            `note: squashfs-tools ${result.toolVersion} cannot store file capabilities; dropped on ${droppedCaps.length} file(s)`,
          );
      }
      return { file, bytes: (await stat(output)).size, type: image.type, droppedCaps };
    },
  });
}
