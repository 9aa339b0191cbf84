// What the reference pipeline (debian-live-reference-pipeline.sh) is given, shared by the benches
// that run it: the packages to include, and an apt archive cache of the very .debs our build used.
import { linkSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { distroforgeCacheRoot } from '@distroforge/core';

/** The profile's packages.txt plus its kernel package, deduplicated, sorted, comma-joined (mmdebstrap --include). */
export function referenceInclude(example, kernelPackage) {
  const packages = readFileSync(join(example, 'packages.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  return [...new Set([...packages, kernelPackage])].sort().join(',');
}

/**
 * Hard-links the .debs a rootfs stage installed (its .result.json, from the CLI's package cache)
 * into `archives` under apt's NAME_VERSION_ARCH.deb names; returns the linked files.
 */
export function linkReferenceArchives(rootfsDir, archives) {
  const cacheDir = join(distroforgeCacheRoot(), 'debs');
  const { packages } = JSON.parse(readFileSync(join(rootfsDir, '.result.json'), 'utf8'));
  return packages.map((p) => {
    const from = join(cacheDir, `${p.sha256}.deb`);
    linkSync(from, join(archives, `${p.name}_${p.version.replace(/:/g, '%3a')}_${p.architecture}.deb`));
    return from;
  });
}
