import { emptyManifest, mergeManifest, sourceDateEpoch, type Manifest } from '@distroforge/core';
import { extractRpm, idResolverFromRoot, toCoreManifest, type RpmManifestEntry } from '@distroforge/rpm-extract';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BootstrapOptionsError } from './errors.js';
import { runRpmScriptlets, type RpmScriptletReport } from './rpm-scriptlets.js';
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
  /** Whether `%pre`/`%post` ran (option `scriptlets`, as root); when false, `skippedReason` says why. */
  configured: boolean;
  skippedReason?: string;
  /** Scriptlets that ran, failed, or were not run. */
  scriptlets: RpmScriptletReport;
  /** Scriptlet output (when they ran). */
  logFile?: string;
  timings: RpmResolveResult['timings'] & { downloadMs: number; unpackMs: number; configureMs: number; totalMs: number };
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
 * target's own passwd/group. With `scriptlets` (root only) `%pre`/`%post` then run in a chroot.
 * No rpmdb is written (README). The tree
 * appears at `target` only when everything succeeded.
 */
export async function bootstrapRpmRootfs(options: RpmBootstrapOptions): Promise<RpmBootstrapResult> {
  const o = parseOptions(rpmBootstrapOptionsSchema, options);
  const start = performance.now();
  if (o.scriptlets && process.getuid?.() !== 0) {
    throw new BootstrapOptionsError('scriptlets: true needs root (they run in a chroot of the target)', { value: 'scriptlets' });
  }
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
  let configureMs = 0;
  const logFile = o.scriptlets ? (o.logFile ?? join(await mkdtemp(join(tmpdir(), 'distroforge-rpm-')), 'scriptlets.log')) : undefined;
  const { manifest, scriptlets } = await buildAtomically(target, async (root) => {
    await mkdir(join(root, 'var/tmp'), { recursive: true });
    const entries: RpmManifestEntry[] = [];
    let done = 0;
    for (const pkg of plan.order) {
      o.signal?.throwIfAborted();
      const extracted = await extractRpm(fileOf(pkg), root, { merge: true });
      entries.push(...extracted.manifest.entries);
      o.onProgress?.({ phase: 'unpack', name: pkg.name, done: ++done, total: plan.order.length });
    }
    let scriptlets: RpmScriptletReport = { ran: [], failures: [], skipped: plan.order.filter((p) => p.rpm.scriptlets.length > 0).map((p) => ({ package: p.name, scriptlets: p.rpm.scriptlets })) };
    if (logFile) {
      const c = performance.now();
      o.onProgress?.({ phase: 'configure', step: 'run %pre and %post scriptlets' });
      await writeFile(logFile, '');
      scriptlets = await runRpmScriptlets(root, plan.order.map((candidate) => ({ candidate, file: fileOf(candidate) })), { logFile, sourceDateEpoch: sourceDateEpoch(), abortOnFailure: o.abortOnScriptletFailure, ...(o.signal ? { signal: o.signal } : {}) });
      configureMs = performance.now() - c;
    }
    // Owners are names in rpm; the target's passwd/group exist only once `setup` is unpacked.
    const ids = await idResolverFromRoot(root);
    const manifest = mergeManifest(emptyManifest(), toCoreManifest({ format: 'distroforge-rpm-manifest', version: 1, entries }, ids).entries);
    return { manifest, scriptlets };
  });
  const unpackMs = performance.now() - t - configureMs;

  return {
    ...plan.result,
    target,
    manifest,
    configured: logFile !== undefined,
    ...(logFile ? { logFile } : { skippedReason: 'scriptlets were not requested (option scriptlets, as root): the tree holds the archives\' files only' }),
    scriptlets,
    timings: { ...plan.result.timings, downloadMs: Math.round(downloadMs), unpackMs: Math.round(unpackMs), configureMs: Math.round(configureMs), totalMs: Math.round(performance.now() - start) },
  };
}
