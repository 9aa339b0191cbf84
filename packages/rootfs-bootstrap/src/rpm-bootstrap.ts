import { emptyManifest, mergeManifest, type Manifest } from '@distroforge/core';
import { extractRpm, idResolverFromRoot, toCoreManifest, type RpmManifestEntry } from '@distroforge/rpm-extract';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { assertEmptyTarget } from './bootstrap-rootfs.js';
import { buildAtomically } from './build-atomically.js';
import { parseOptions } from './options.js';
import { defaultCacheDir, fetchPackages } from './package-cache.js';
import type { ResolvedRootfsPackage } from './resolve-rootfs.js';
import type { RpmCandidate } from './rpm-candidate.js';
import { rpmBootstrapOptionsSchema, rpmResolveOptionsSchema, type NormalisedRpmResolveOptions, type RpmBootstrapOptions, type RpmResolveOptions } from './rpm-options.js';
import { resolveRpmDependencies, rpmInstallOrder } from './rpm-resolve.js';
import { rpmSource } from './rpm-sources.js';
import type { RpmRepository } from './rpm-source.js';

/** What `resolveRpmRootfs` returns (the rpm counterpart of `ResolveResult`). */
export interface RpmResolveResult {
  source: string;
  architecture: string;
  repositories: RpmRepository[];
  /** Sorted by name; `version` is `[epoch:]version-release`, `priority` is `optional`, `essential` false. */
  packages: ResolvedRootfsPackage[];
  /** Installation order (names), pre-requirements first. */
  order: string[];
  totalSize: number;
  totalInstalledSize: number;
  timings: { indexMs: number; resolveMs: number };
}

/** What `bootstrapRpmRootfs` returns. */
export interface RpmBootstrapResult extends Omit<RpmResolveResult, 'timings'> {
  target: string;
  /** Owners, special modes, device nodes and capabilities from the packages' headers, ids from the target's passwd/group. */
  manifest: Manifest;
  /** Always false: scriptlets are not run (see the README); `skippedReason` says so. */
  configured: false;
  skippedReason: string;
  /** Packages that carry scriptlets which were not run, with their names (`prein`, `postin`...). */
  skippedScriptlets: { package: string; scriptlets: string[] }[];
  timings: RpmResolveResult['timings'] & { downloadMs: number; unpackMs: number; totalMs: number };
}

interface RpmPlan {
  result: RpmResolveResult;
  order: RpmCandidate[];
  cacheDir: string;
}

/** Resolves packages from an rpm source without installing anything. */
export async function resolveRpmRootfs(options: RpmResolveOptions): Promise<RpmResolveResult> {
  return (await planRpmRootfs(parseOptions(rpmResolveOptionsSchema, options))).result;
}

async function planRpmRootfs(o: NormalisedRpmResolveOptions): Promise<RpmPlan> {
  const cacheDir = o.cacheDir ?? defaultCacheDir();
  const source = rpmSource(o.source);
  let t = performance.now();
  const index = await source.index({
    suite: o.source,
    variant: '',
    architecture: o.architecture,
    cacheDir,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const indexMs = performance.now() - t;
  t = performance.now();
  const resolved = resolveRpmDependencies(index.candidates, { names: o.include, exclude: o.exclude, architecture: o.architecture, weakDeps: o.weakDeps });
  const order = rpmInstallOrder(resolved.map((r) => r.candidate as RpmCandidate));
  const resolveMs = performance.now() - t;
  o.onProgress?.({ phase: 'resolve', packages: resolved.length });
  const packages = resolved.map(({ candidate: c, chain }) => ({
    name: c.name,
    version: c.version,
    architecture: c.architecture,
    essential: false,
    priority: c.priority,
    size: c.size,
    installedSize: c.installedSize,
    sha256: c.sha256,
    origin: c.origin,
    chain: [...chain],
  }));
  return {
    result: {
      source: o.source,
      architecture: o.architecture,
      repositories: index.repositories,
      packages,
      order: order.map((p) => p.name),
      totalSize: packages.reduce((s, p) => s + p.size, 0),
      totalInstalledSize: packages.reduce((s, p) => s + p.installedSize, 0),
      timings: { indexMs: Math.round(indexMs), resolveMs: Math.round(resolveMs) },
    },
    order,
    cacheDir,
  };
}

/**
 * Builds a root filesystem from an rpm source without rpm on the host: resolves, fetches (rpm-repo
 * over http, verified into the shared cache), extracts every package with rpm-extract in
 * installation order into the tree (digests verified), and returns the manifest with ids from the
 * target's own passwd/group. Scriptlets are not run and no rpmdb is written (README). The tree
 * appears at `target` only when everything succeeded.
 */
export async function bootstrapRpmRootfs(options: RpmBootstrapOptions): Promise<RpmBootstrapResult> {
  const o = parseOptions(rpmBootstrapOptionsSchema, options);
  const start = performance.now();
  const target = resolve(o.target);
  await assertEmptyTarget(target);
  const plan = await planRpmRootfs(o);

  let t = performance.now();
  // Repository packages are checked against the repository's checksums (and cached); a folder's are used in place.
  const remote = plan.result.repositories.some((r) => r.kind === 'rpm-repo') ? plan.order : [];
  const downloaded = remote.length === 0 ? new Map<string, string>() : await fetchPackages(remote, { cacheDir: plan.cacheDir, concurrency: o.concurrency, ...(o.onProgress ? { onProgress: o.onProgress } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const fileOf = (p: RpmCandidate): string => downloaded.get(p.name) ?? fileURLToPath(p.location);
  const downloadMs = performance.now() - t;

  t = performance.now();
  const manifest = await buildAtomically(target, async (root) => {
    await mkdir(root, { recursive: true });
    const entries: RpmManifestEntry[] = [];
    let done = 0;
    for (const pkg of plan.order) {
      o.signal?.throwIfAborted();
      const extracted = await extractRpm(fileOf(pkg), root, { merge: true });
      entries.push(...extracted.manifest.entries);
      o.onProgress?.({ phase: 'unpack', name: pkg.name, done: ++done, total: plan.order.length });
    }
    // Owners are names in rpm; the target's passwd/group exist only once `setup` is unpacked.
    const ids = await idResolverFromRoot(root);
    return mergeManifest(emptyManifest(), toCoreManifest({ format: 'distroforge-rpm-manifest', version: 1, entries }, ids).entries);
  });
  const unpackMs = performance.now() - t;

  return {
    ...plan.result,
    target,
    manifest,
    configured: false,
    skippedReason: 'rpm scriptlets are not run: the tree is assembled from the archives alone',
    skippedScriptlets: plan.order.filter((p) => p.rpm.scriptlets.length > 0).map((p) => ({ package: p.name, scriptlets: p.rpm.scriptlets })).sort((a, b) => (a.package < b.package ? -1 : 1)),
    timings: { ...plan.result.timings, downloadMs: Math.round(downloadMs), unpackMs: Math.round(unpackMs), totalMs: Math.round(performance.now() - start) },
  };
}
