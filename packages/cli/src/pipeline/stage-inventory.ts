import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { StageResult } from '../engine/stage-cache.js';
import { INVENTORY_FILE } from '../inventory/built-inventory.js';
import { readImageInventory } from '../inventory/image-inventory.js';
import { sampleCompressibility } from '../report/compressed-shares.js';
import { writeSboms } from '../sbom/write-sbom.js';
import type { BuildContext } from './build-context.js';
import type { RootfsStageResult } from './rootfs-common.js';

/** The files of the inventory stage's folder: the inventory, and the SBOMs published as out/NAME.spdx.json and out/NAME.cdx.json. */
export const INVENTORY_FILES = {
  inventory: INVENTORY_FILE,
  spdx: 'sbom.spdx.json',
  cycloneDx: 'sbom.cdx.json',
} as const;

export interface InventoryStageResult {
  format: 'deb' | 'rpm' | 'pacman';
  packages: number;
  /** Bytes of regular files in the final tree: the packages' plus the unowned files'. */
  totalBytes: number;
  unownedBytes: number;
}

const require = createRequire(import.meta.url);

/**
 * What the final tree is made of, once per build (cached with the tree): its package inventory
 * (inventory.json, read by the HTML report and `inspect --sizes`) and the image's SBOMs, SPDX 2.3
 * and CycloneDX 1.5, from the tree's own package database and the rootfs stage's package digests.
 */
export async function inventoryStage(
  ctx: BuildContext,
  rootfs: StageResult<RootfsStageResult>,
  tree: StageResult<unknown>,
): Promise<StageResult<InventoryStageResult>> {
  const name = ctx.loaded.profile.name;
  return ctx.cache.run({
    name: 'inventory',
    // The package digests come with the rootfs key; the name and the epoch are in the SBOMs.
    inputs: { name, epoch: ctx.epoch },
    upstream: [rootfs.key, tree.key],
    describe: (r) => `${r.packages} packages, ${(r.totalBytes / 1048576).toFixed(0)} MiB, SBOM`,
    run: async (dir) => {
      const inventory = await readImageInventory(join(tree.dir, 'rootfs'), {
        packages: rootfs.result.packages,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      // With the samples the HTML report weighs the packages' compressed shares by (not redone per report).
      const compressibility = await sampleCompressibility(join(tree.dir, 'rootfs'), inventory);
      await writeFile(join(dir, INVENTORY_FILES.inventory), `${JSON.stringify({ ...inventory, compressibility })}\n`);
      const toolVersion = (require('@distroforge/cli/package.json') as { version: string }).version;
      await writeSboms(
        { name, sourceDateEpoch: ctx.epoch, inventory, toolVersion },
        { spdx: join(dir, INVENTORY_FILES.spdx), cycloneDx: join(dir, INVENTORY_FILES.cycloneDx) },
      );
      return {
        format: inventory.format,
        packages: inventory.packages.length,
        totalBytes: inventory.totalBytes,
        unownedBytes: inventory.unowned.reduce((n, f) => n + f.bytes, 0),
      };
    },
  });
}
