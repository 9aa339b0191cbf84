// Every package build publishes the image's SBOMs beside the images: a pacman profile built by the
// distroforge command against the generated repository (tools/pacman-test-repo) gets
// out/NAME.spdx.json and out/NAME.cdx.json, listed in the build report's outputs, valid against
// the official schemas, naming exactly the packages of the build report with their digests; a
// second build reuses the cached inventory stage and publishes the same bytes; inspect --sizes
// PROFILE reads that build.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { readImageInventory } from '../src/inventory/image-inventory.js';
import { sizeBreakdown } from '../src/inventory/size-breakdown.js';
import type { BuildReport } from '../src/pipeline/build-profile.js';
import type { CycloneDxDocument } from '../src/sbom/cyclonedx-document.js';
import type { SpdxDocument } from '../src/sbom/spdx-document.js';
import { runDistroforge } from './run-distroforge.js';
import { cycloneDxErrors, spdxErrors } from './sbom-schemas.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
let work = '';
let mirror = '';

beforeAll(async () => {
  mirror = (await generatePacmanTestRepo(join(repoRoot, '.cache', 'pacman-test-repo', 'repo'))).dir;
  work = await mkdtemp(join(tmpdir(), 'df-build-sbom-'));
}, 600_000);
afterAll(() => rm(work, { recursive: true, force: true }));

describe('a build', () => {
  it('publishes NAME.spdx.json and NAME.cdx.json listing exactly its packages, valid against the official schemas, the same bytes when cached; inspect --sizes PROFILE reads the build', async () => {
    const dir = join(work, 'arch');
    await cp(join(repoRoot, 'examples', 'arch-live'), dir, { recursive: true });
    const file = join(dir, 'profile.yaml');
    const text = (await readFile(file, 'utf8'))
      .replace(/^ {2}mirror: .*$/m, `  mirror: file://${mirror}/$repo`)
      .replace(/^ {2}sigLevel: required$/m, '  sigLevel: off')
      .replace(/^outputs: .*$/m, 'outputs: [rootfs-tar]');
    await writeFile(file, text);
    const run = await runDistroforge(['build', dir, '--json']);
    expect(run.exitCode, run.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as BuildReport;
    const name = report.profile;
    const spdxOutput = report.outputs.find((o) => o.kind === 'spdx')!;
    const cdxOutput = report.outputs.find((o) => o.kind === 'cyclonedx')!;
    expect(spdxOutput.file).toBe(join(dir, 'out', `${name}.spdx.json`));
    expect(cdxOutput.file).toBe(join(dir, 'out', `${name}.cdx.json`));
    const spdx = JSON.parse(await readFile(spdxOutput.file, 'utf8')) as SpdxDocument;
    const cdx = JSON.parse(await readFile(cdxOutput.file, 'utf8')) as CycloneDxDocument;
    expect(spdxErrors(spdx)).toEqual([]);
    expect(cycloneDxErrors(cdx)).toEqual([]);
    const expected = report.packages.map((p) => `${p.name} ${p.version} ${p.sha256}`).sort();
    expect(
      spdx.packages
        .filter((p) => p.SPDXID !== 'SPDXRef-Image')
        .map((p) => `${p.name} ${p.versionInfo} ${p.checksums?.[0]?.checksumValue}`)
        .sort(),
    ).toEqual(expected);
    expect(cdx.components.map((c) => `${c.name} ${c.version} ${c.hashes?.[0]?.content}`).sort()).toEqual(expected);
    expect(spdx.creationInfo.created).toBe(new Date(report.sourceDateEpoch * 1000).toISOString().replace('.000', ''));
    for (const p of spdx.packages.slice(1)) expect(p.externalRefs?.[0]?.referenceLocator).toMatch(/^pkg:alpm\//);
    // The inventory it keeps holds each package's sampled compressibility, which the HTML report weighs by.
    const inventoryStage = report.stages.find((s) => s.name === 'inventory')!;
    const kept = JSON.parse(
      await readFile(join(dir, '.distroforge', 'stages', 'inventory', inventoryStage.key, 'inventory.json'), 'utf8'),
    ) as { compressibility: { packages: Record<string, number>; unowned: number } };
    expect(Object.keys(kept.compressibility.packages).sort()).toEqual(report.packages.map((p) => p.name).sort());
    for (const ratio of [...Object.values(kept.compressibility.packages), kept.compressibility.unowned])
      expect(ratio).toBeGreaterThan(0);
    const again = await runDistroforge(['build', dir, '--json']);
    expect(again.exitCode).toBe(0);
    const second = JSON.parse(again.stdout.trim().split('\n').at(-1)!) as BuildReport;
    expect(second.stages.find((s) => s.name === 'inventory')?.cached).toBe(true);
    // inspect --sizes PROFILE reads the inventory stage, else (its folder pruned) the final tree.
    const overlay = report.stages.find((s) => s.name === 'overlay')!;
    const tree = await readImageInventory(join(dir, '.distroforge', 'stages', 'overlay', overlay.key, 'rootfs'));
    for (const pruned of [false, true]) {
      if (pruned) await rm(join(dir, '.distroforge', 'stages', 'inventory'), { recursive: true });
      const sizes = await runDistroforge(['inspect', '--sizes', dir, '--json']);
      expect(sizes.exitCode, sizes.stderr).toBe(0);
      expect(JSON.parse(sizes.stdout)).toMatchObject({
        source: `the last build of ${name}`,
        packageCount: report.packages.length,
        totalBytes: tree.totalBytes,
        packages: sizeBreakdown(tree).packages,
      });
    }
    expect(second.outputs.filter((o) => o.kind === 'spdx' || o.kind === 'cyclonedx').map((o) => o.sha256)).toEqual([
      spdxOutput.sha256,
      cdxOutput.sha256,
    ]);
  }, 600_000);
});
