import { performance } from 'node:perf_hooks';
import { aptSource } from '../apt/source.js';
import type { ResolveResult } from '../resolve-result.js';
import type { AptRepository } from '../apt/sources-list.js';
import { releaseChecksOf, type NormalisedResolveOptions } from '../options.js';
import { buildUniverse, type PackageCandidate, type PackageUniverse } from '../package-candidate.js';
import { defaultCacheDir } from '../package-cache.js';
import { dependencyClosure, installOrder, resolveDependencies } from '../resolve-dependencies.js';
import type { PackageSource } from '../package-source.js';
import { readLocalPackages } from '../local-packages.js';
import { MERGED_USR_PACKAGE, usesMergedUsrLinks } from '../apt/merged-usr.js';

/** Internal: the resolution plus what installation needs. */
export interface ResolvedPlan {
  result: ResolveResult;
  candidates: PackageCandidate[];
  /** Installation order (dependencies first). */
  order: PackageCandidate[];
  /** Essential packages and what they depend on: unpacked first so the chroot can run dpkg. */
  essentialSet: ReadonlySet<string>;
  universe: PackageUniverse;
  cacheDir: string;
  source: PackageSource<AptRepository>;
}

/** The apt source a request reads from (its methods keep no state between calls). */
export function aptSourceOf(options: NormalisedResolveOptions): ReturnType<typeof aptSource> {
  return aptSource({
    ...(options.mirrors ? { mirrors: options.mirrors } : {}),
    components: options.components,
    keyring: options.keyring,
    insecureSkipSignatureCheck: options.insecureSkipSignatureCheck,
    aptConfigDir: options.aptConfigDir,
    releaseChecks: releaseChecksOf(options),
  });
}

export async function planRootfs(options: NormalisedResolveOptions): Promise<ResolvedPlan> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const source = aptSourceOf(options);
  let t = performance.now();
  const local = await readLocalPackages(source, options.localPackages, options.architecture);
  const index = local.overlay(
    await source.index({
      suite: options.suite,
      variant: options.variant,
      architecture: options.architecture,
      cacheDir,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  );
  const { repositories } = index;
  const indexMs = performance.now() - t;
  t = performance.now();
  const universe = buildUniverse(index.candidates, index.compare);
  const mergedUsr = usesMergedUsrLinks({
    variant: options.variant,
    // A local usrmerge package file asks for its conversion as naming usrmerge does.
    include: [...options.include, ...local.names],
    exclude: options.exclude,
    available: (name) => universe.byName.has(name),
  });
  const resolved = local.explain(() =>
    resolveDependencies(universe, {
      names: [...index.baseNames, ...(mergedUsr ? [MERGED_USR_PACKAGE] : []), ...options.include, ...local.names],
      exclude: options.exclude,
      recommends: options.recommends,
    }),
  );
  const candidates = resolved.map((r) => r.candidate);
  const order = installOrder(candidates, universe);
  const essentialSet = dependencyClosure(
    candidates.filter((c) => c.essential).map((c) => c.name),
    candidates,
    universe,
  );
  const resolveMs = performance.now() - t;
  options.onProgress?.({ phase: 'resolve', packages: candidates.length });
  const packages = resolved.map(({ candidate: c, chain }) => ({
    name: c.name,
    version: c.version,
    architecture: c.architecture,
    essential: c.essential,
    priority: c.priority,
    size: c.size,
    installedSize: c.installedSize,
    sha256: c.sha256,
    origin: c.origin,
    chain: local.chain(chain),
    ...(c.localFile ? { localFile: c.localFile } : {}),
  }));
  return {
    result: {
      suite: options.suite,
      variant: options.variant,
      architecture: options.architecture,
      mergedUsr,
      repositories,
      releases: index.releases,
      packages,
      totalSize: packages.reduce((s, p) => s + p.size, 0),
      totalInstalledSize: packages.reduce((s, p) => s + p.installedSize, 0),
      timings: { indexMs: Math.round(indexMs), resolveMs: Math.round(resolveMs) },
    },
    candidates,
    order,
    essentialSet,
    universe,
    cacheDir,
    source,
  };
}
