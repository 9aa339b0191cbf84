import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest } from '@distroforge/core';
import { createSquashfs } from '@distroforge/squashfs-wrap';
import type { StageResult } from '../engine/stage-cache.js';
import type { BuildContext } from './build-context.js';
import { imageSettings } from './image-compression.js';
import { buildOverlayLayer } from './overlay-layer.js';

export interface LayerStageResult {
  file: string;
  bytes: number;
  changed: number;
  whiteouts: number;
}

/** Where the live ISO carries the layer, and the kernel argument that stacks it over the root image. */
export const LAYER_ISO_PATH = '/live/overlay.squashfs';

/**
 * Stage 3b (live images): what the overlay stage changed, as a small squashfs that the live init
 * stacks above the image of the bootstrapped root (`live.layers=`). The root image then depends on
 * the package set only, so changing an overlay file rebuilds this layer instead of compressing the
 * whole root again; a cold build makes the same two images, so the bytes do not depend on the cache.
 */
export async function layerStage(
  ctx: BuildContext,
  rootfs: StageResult<unknown>,
  overlay: StageResult<unknown>,
): Promise<StageResult<LayerStageResult>> {
  const image = imageSettings(ctx.loaded.profile.image, ctx.mode);
  return ctx.cache.run({
    name: 'layer',
    inputs: { image, epoch: ctx.epoch },
    upstream: [rootfs.key, overlay.key],
    describe: (r) => `${r.changed} changes, ${r.whiteouts} whiteouts, ${(r.bytes / 1048576).toFixed(1)} MiB`,
    run: async (dir) => {
      const tree = join(dir, '.layer-tree');
      const side = async (stage: StageResult<unknown>) => ({
        directory: join(stage.dir, 'rootfs'),
        manifest: await readManifest(join(stage.dir, 'manifest.json')),
      });
      const file = 'overlay.squashfs';
      try {
        const layer = await buildOverlayLayer(
          await side(rootfs),
          await side(overlay),
          tree,
          ctx.epoch,
          ctx.walkStageTree,
        );
        await createSquashfs({
          source: tree,
          output: join(dir, file),
          manifest: layer.manifest,
          compression: { algorithm: image.compression, ...(image.level === undefined ? {} : { level: image.level }) },
          unsupportedCaps: 'drop',
          owner: 'root', // the layer's manifest names every node
          sourceDateEpoch: ctx.epoch,
          logFile: join(dir, 'layer.log'),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        return { file, bytes: (await stat(join(dir, file))).size, changed: layer.changed, whiteouts: layer.whiteouts };
      } finally {
        await rm(tree, { recursive: true, force: true });
      }
    },
  });
}
