import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageInventory } from './image-inventory.js';
import { readImageInventory } from './image-inventory.js';

/** The inventory stage's file inside its cache folder (see pipeline/stage-inventory.ts). */
export const INVENTORY_FILE = 'inventory.json';

/** Reads an inventory.json the inventory stage wrote. */
export async function readInventoryFile(file: string): Promise<ImageInventory> {
  return JSON.parse(await readFile(file, 'utf8')) as ImageInventory;
}

/**
 * The inventory of a profile's last build: out/build-report.json names the inventory stage's
 * key, whose folder in the state holds inventory.json. When that folder was pruned, it is read
 * again from the final tree the report names (overlay, postinstall or finalize). Undefined when
 * the profile was not built (no report) or neither folder is left.
 */
export async function builtInventory(paths: { outDir: string; stateDir: string }): Promise<ImageInventory | undefined> {
  const report = await readFile(join(paths.outDir, 'build-report.json'), 'utf8').then(
    (text) =>
      JSON.parse(text) as { stages?: { name: string; key: string }[]; packages?: { name: string; sha256: string }[] },
    () => undefined,
  );
  if (!report?.stages) return undefined;
  const stage = (name: string) => report.stages?.find((s) => s.name === name);
  const inventory = stage('inventory');
  if (inventory) {
    const file = join(paths.stateDir, 'stages', 'inventory', inventory.key, INVENTORY_FILE);
    if (existsSync(file)) return readInventoryFile(file);
  }
  for (const name of ['finalize', 'postinstall', 'overlay']) {
    const tree = stage(name);
    const root = tree && join(paths.stateDir, 'stages', name, tree.key, 'rootfs');
    if (root && existsSync(root)) return readImageInventory(root, { packages: report.packages ?? [] });
  }
  return undefined;
}
