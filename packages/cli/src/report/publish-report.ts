import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDistroforgeError } from '@distroforge/core';
import type { ReportBuild } from './report-build.js';
import type { OutputDirectory } from '../pipeline/output-directory.js';
import type { ReportInventory } from './report-inventory.js';
import { readTestRecord, testRecordName, type TestRecord } from './test-record.js';
import { writeReport } from './write-report.js';

/**
 * Publishes OUT/NAME.report.html for a build: with the inventory of its root (given, or read from
 * the build's staging root while the stage cache still has it), the compressed root image's size,
 * and the last test record of exactly these outputs. Returns the report's path and size.
 */
export async function publishReport(
  outputs: OutputDirectory,
  build: ReportBuild,
  given: { inventory?: ReportInventory | undefined; test?: TestRecord | undefined } = {},
): Promise<{ file: string; bytes: number }> {
  const inventory = given.inventory ?? (await inventoryOf(build));
  const test = given.test ?? (await testRecordOf(outputs.dir, build));
  const rootImage = build.direct?.rootImage;
  const rootImageBytes = rootImage ? (await stat(rootImage).catch(() => undefined))?.size : undefined;
  return writeReport(outputs, { build, inventory, rootImageBytes, test });
}

/**
 * The inventory of the build's root tree (the staging root direct boots share), or undefined
 * when the build has none (an initramfs-only build) or the cache no longer holds it.
 */
export async function inventoryOf(build: ReportBuild): Promise<ReportInventory | undefined> {
  const root = build.direct?.stagingRoot;
  if (root === undefined || !(await stat(root).catch(() => undefined))?.isDirectory()) return undefined;
  const { readImageInventory } = await import('../inventory/image-inventory.js');
  try {
    return await readImageInventory(root, { packages: build.packages });
  } catch (error) {
    // A root without a package database (a custom source) has no size map; anything else is a failure.
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
