import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { compressedShares, sampleCompressibility } from './compressed-shares.js';
import { join } from 'node:path';
import { isDistroforgeError } from '@distroforge/core';
import type { ReportBuild } from './report-build.js';
import type { OutputDirectory } from '../pipeline/output-directory.js';
import type { ReportInventory } from './report-inventory.js';
import { readTestRecord, testRecordName, type TestRecord } from './test-record.js';
import { writeReport } from './write-report.js';

/**
 * Publishes OUT/NAME.report.html for a build: with the inventory of its root (given, or the one
 * the build's inventory stage kept in `stateDir`, else read from its final tree while the state
 * has it), the compressed root image's size, and the last test record of exactly these outputs.
 * Returns the report's path and size.
 */
export async function publishReport(
  outputs: OutputDirectory,
  build: ReportBuild,
  given: { inventory?: ReportInventory | undefined; test?: TestRecord | undefined; stateDir?: string } = {},
): Promise<{ file: string; bytes: number }> {
  const inventory =
    given.inventory ??
    (given.stateDir === undefined ? undefined : await inventoryOf({ outDir: outputs.dir, stateDir: given.stateDir }));
  const test = given.test ?? (await testRecordOf(outputs.dir, build));
  const rootImage = build.direct?.rootImage;
  const rootImageBytes = rootImage ? (await stat(rootImage).catch(() => undefined))?.size : undefined;
  // Each package's compressed share, from the samples of its files the inventory stage took (else
  // taken now, while the final tree is there).
  const tree = build.direct?.stagingRoot;
  const sampled =
    inventory?.compressibility ??
    (inventory && tree !== undefined && existsSync(tree) ? await sampleCompressibility(tree, inventory) : undefined);
  const compressedBytes =
    inventory && sampled && rootImageBytes !== undefined
      ? compressedShares(inventory, sampled, rootImageBytes)
      : undefined;
  return writeReport(outputs, { build, inventory, rootImageBytes, compressedBytes, test });
}

/**
 * The inventory of the last build in `outDir` (inventory/built-inventory.ts), or undefined when
 * the state no longer has it or its root has no package database (a custom source).
 */
async function inventoryOf(paths: { outDir: string; stateDir: string }): Promise<ReportInventory | undefined> {
  const { builtInventory } = await import('../inventory/built-inventory.js');
  try {
    return await builtInventory(paths);
  } catch (error) {
    if (isDistroforgeError(error) && error.code === 'ERR_INVENTORY_UNREADABLE') return undefined;
    throw error;
  }
}

/** The test record in `outDir` if it tested exactly this build's outputs (same digests), else undefined. */
export async function testRecordOf(outDir: string, build: ReportBuild): Promise<TestRecord | undefined> {
  const record = await readTestRecord(join(outDir, testRecordName(build.profile)));
  if (!record) return undefined;
  const digests = (outputs: readonly { sha256: string }[]) =>
    outputs
      .map((o) => o.sha256)
      .sort()
      .join(',');
  return digests(record.outputs) === digests(build.outputs) ? record : undefined;
}
