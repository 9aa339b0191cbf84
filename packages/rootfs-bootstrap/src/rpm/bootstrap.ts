import { assignOwners, reclaimTree, emptyManifest, mergeManifest, prepareUserNamespace, sourceDateEpoch, type Manifest, type ManifestEntry, type OptionIssue } from '@distroforge/core';
import { extractRpm, idResolverFromRoot, toCoreManifest, type RpmManifestEntry } from '@distroforge/rpm-extract';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as openpgp from 'openpgp';
import { SignatureError } from '../errors.js';
import { expandGroupIncludes, type GroupSelection } from './comps-groups.js';
import { readGpgKeys, type GpgVerification } from '../gpg-verify.js';
import { checkRpmSignature, type RpmSignatureCheck } from './signature-check.js';
import { runRpmScriptlets, type RpmScriptletReport } from './scriptlets.js';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { assertEmptyTarget } from '../bootstrap-rootfs.js';
import { scanTree } from '../finish-tree.js';
import { buildAtomically } from '../build-atomically.js';
import { invalidOptions, parseOptions } from '../options.js';
import { defaultCacheDir, fetchPackages } from '../package-cache.js';
import type { ResolvedPackage } from '../resolve-dependencies.js';
import type { ResolvedRootfsPackage } from '../resolve-rootfs.js';
import type { RpmCandidate } from './candidate.js';
import { rpmBootstrapOptionsSchema, rpmResolveOptionsSchema, type NormalisedRpmResolveOptions, type RpmBootstrapOptions, type RpmResolveOptions } from './options.js';
import { resolveRpmDependencies, rpmInstallOrder } from './resolve.js';
import { rpmSource } from './source-from-spec.js';
import { readLocalPackages } from '../local-packages.js';
import type { RpmRepository } from './source.js';

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
  /** What each `@group` of `include` asked for (packages found, missing ones skipped, conditional ones). */
  groups: GroupSelection[];
  /** OpenPGP checks (option `gpgCheck`): `repository` is rpm-repo's repomd.xml.asc, `packages` (install only) one entry per package in install order. */
  gpg: { mode: 'off' | 'report' | 'require'; repository?: GpgVerification; packages: RpmSignatureCheck[] };
  timings: { indexMs: number; resolveMs: number };
}

/** What `bootstrapRpmRootfs` returns. */
export interface RpmBootstrapResult extends Omit<RpmResolveResult, 'timings'> {
  target: string;
  /** Owners, special modes, device nodes and capabilities from the packages' headers, ids from the target's passwd/group. */
  manifest: Manifest;
  /** Whether `%pre`/`%post` ran (option `scriptlets`, in a user namespace); when false, `skippedReason` says why. */
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
  keys: openpgp.Key[];
}

/** Resolves packages from an rpm source without installing anything. */
export async function resolveRpmRootfs(options: RpmResolveOptions): Promise<RpmResolveResult> {
  return (await planRpmRootfs(parseOptions(rpmResolveOptionsSchema, options))).result;
}

async function planRpmRootfs(o: NormalisedRpmResolveOptions): Promise<RpmPlan> {
  const cacheDir = o.cacheDir ?? defaultCacheDir();
  // Rules between options, all reported at once (the schema's problems were already).
  const issues: OptionIssue[] = [];
  if (o.gpgCheck === 'require' && o.gpgKeys.length === 0) issues.push({ key: 'gpgKeys', message: 'gpgCheck "require" needs gpgKeys (the OpenPGP public keys to trust)' });
  if (o.include.length === 0 && o.localPackages.length === 0) issues.push({ key: 'include', message: 'nothing to install (give include or localPackages)' });
  if (issues.length > 0) throw invalidOptions(issues);
  const keys = o.gpgCheck === 'off' ? [] : await readGpgKeys(o.gpgKeys);
  const source = rpmSource(o.source, {
    ...(o.gpgCheck === 'off' ? {} : { repomdGpg: { mode: o.gpgCheck, keys } }),
    ...(o.minRepomdRevision !== undefined && !o.allowRepomdRollback ? { minRepomdRevision: o.minRepomdRevision } : {}),
  });
  let t = performance.now();
  const local = await readLocalPackages(source, o.localPackages, o.architecture);
  const index = local.overlay(await source.index({
    suite: o.source,
    variant: '',
    architecture: o.architecture,
    cacheDir,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  }));
  const indexMs = performance.now() - t;
  t = performance.now();
  const names = new Set(index.candidates.map((c) => c.name));
  for (const x of o.exclude) names.delete(x);
  const expanded = expandGroupIncludes(o.include, index.comps, { types: o.groupPackageTypes, available: (n) => names.has(n) });
  const resolved = resolveWithConditionals([...expanded.names, ...local.names], expanded.selections.flatMap((s) => s.conditional), (names) =>
    local.explain(() => resolveRpmDependencies(index.candidates, { names, exclude: o.exclude, architecture: o.architecture, weakDeps: o.weakDeps })),
  );
  const order = rpmInstallOrder(resolved.map((r) => r.candidate as RpmCandidate));
  const resolveMs = performance.now() - t;
  o.onProgress?.({ phase: 'resolve', packages: resolved.length });
  // Chains of group members start at the group (`@minimal -> busybox -> filesystem`).
  const groupOf = new Map<string, string>();
  for (const s of expanded.selections) for (const n of [...s.packages, ...s.conditional.map((c) => c.name)]) if (!groupOf.has(n) && !o.include.includes(n) && !local.names.includes(n)) groupOf.set(n, s.request);
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
    chain: groupOf.has(chain[0]!) ? [groupOf.get(chain[0]!)!, ...chain] : local.chain(chain),
    ...(c.localFile ? { localFile: c.localFile } : {}),
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
      groups: expanded.selections,
      gpg: { mode: o.gpgCheck, ...(index.repositorySignature ? { repository: index.repositorySignature } : {}), packages: [] },
      timings: { indexMs: Math.round(indexMs), resolveMs: Math.round(resolveMs) },
    },
    order,
    cacheDir,
    keys,
  };
}

/** Resolves `names`, then adds a group's conditional packages whose named package is in the set (as dnf), until stable. */
function resolveWithConditionals(names: string[], conditional: readonly { name: string; requires: string }[], resolve: (names: string[]) => ResolvedPackage[]): ResolvedPackage[] {
  let request = names;
  for (;;) {
    const resolved = resolve(request);
    const chosen = new Set(resolved.map((r) => r.candidate.name));
    const extra = conditional.filter((c) => chosen.has(c.requires) && !chosen.has(c.name)).map((c) => c.name);
    if (extra.length === 0) return resolved;
    request = [...new Set([...request, ...extra])];
  }
}

/**
 * Builds a root filesystem from an rpm source without rpm on the host: resolves, fetches (rpm-repo
 * over http, verified into the shared cache), extracts every package with rpm-extract in
 * installation order into the tree (digests verified), and returns the manifest with ids from the
 * target's own passwd/group. With `scriptlets`, `%pre`/`%post` then run in the target's root, in a
 * user namespace (as root or not).
 * With `gpgCheck`, every package's signature is checked (and, under `require`, enforced) before
 * anything is extracted.
 * No rpmdb is written (README). The tree
 * appears at `target` only when everything succeeded.
 */
export async function bootstrapRpmRootfs(options: RpmBootstrapOptions): Promise<RpmBootstrapResult> {
  const o = parseOptions(rpmBootstrapOptionsSchema, options);
  const start = performance.now();
  // Before any work: a machine that cannot run the scriptlets says so, with its fix.
  const namespace = o.scriptlets ? await prepareUserNamespace() : undefined;
  const target = resolve(o.target);
  await assertEmptyTarget(target);
  const plan = await planRpmRootfs(o);

  let t = performance.now();
  // Repository packages are checked against the repository's checksums (and cached); a folder's are used in place.
  const remote = plan.result.repositories.some((r) => r.kind === 'rpm-repo') ? plan.order : [];
  const downloaded = remote.length === 0 ? new Map<string, string>() : await fetchPackages(remote, { cacheDir: plan.cacheDir, concurrency: o.concurrency, ...(o.onProgress ? { onProgress: o.onProgress } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const fileOf = (p: RpmCandidate): string => downloaded.get(p.name) ?? fileURLToPath(p.location);
  const downloadMs = performance.now() - t;
  const signatures = o.gpgCheck === 'off' ? [] : await checkPackageSignatures(plan.order.map(fileOf), plan.keys, o.gpgCheck);

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
    // Owners are names in rpm; the target's passwd/group exist only once `setup` is unpacked.
    const archiveManifest = async () => toCoreManifest({ format: 'distroforge-rpm-manifest', version: 1, entries }, await idResolverFromRoot(root)).entries;
    let scanned: ManifestEntry[] = [];
    if (logFile && namespace) {
      const c = performance.now();
      o.onProgress?.({ phase: 'configure', step: 'run %pre and %post scriptlets' });
      await writeFile(logFile, '');
      // The scriptlets see the files with the owners rpm would have given them.
      const owners = (await archiveManifest()).filter((e) => e.type === undefined || e.type === 'file' || e.type === 'dir' || e.type === 'symlink');
      await assignOwners(namespace, root, owners.map((e) => ({ path: e.path.slice(1), uid: e.uid ?? 0, gid: e.gid ?? 0, ...(e.mode === undefined ? {} : { mode: e.mode }) })));
      scriptlets = await runRpmScriptlets(root, plan.order.map((candidate) => ({ candidate, file: fileOf(candidate) })), { logFile, sourceDateEpoch: sourceDateEpoch(), abortOnFailure: o.abortOnScriptletFailure, namespace, ...(o.signal ? { signal: o.signal } : {}) });
      scanned = await scanTree(root, undefined, { namespace });
      configureMs = performance.now() - c;
    }
    // rpm's headers decide the owners of its files (read after %pre, which may add users); the scan
    // adds what the scriptlets made.
    const manifest = mergeManifest(emptyManifest(), [...scanned, ...(await archiveManifest())]);
    return { manifest, scriptlets };
  }, namespace ? (temp) => reclaimTree(namespace, temp) : undefined);
  const unpackMs = performance.now() - t - configureMs;

  return {
    ...plan.result,
    gpg: { ...plan.result.gpg, packages: signatures },
    target,
    manifest,
    configured: logFile !== undefined,
    ...(logFile ? { logFile } : { skippedReason: 'scriptlets were not requested (option scriptlets): the tree holds the archives\' files only' }),
    scriptlets,
    timings: { ...plan.result.timings, downloadMs: Math.round(downloadMs), unpackMs: Math.round(unpackMs), configureMs: Math.round(configureMs), totalMs: Math.round(performance.now() - start) },
  };
}

/** Checks every package's signature (in install order); `require` refuses before anything is extracted. */
async function checkPackageSignatures(files: string[], keys: openpgp.Key[], mode: 'report' | 'require'): Promise<RpmSignatureCheck[]> {
  const checks: RpmSignatureCheck[] = [];
  for (const file of files) checks.push(await checkRpmSignature(file, keys));
  const bad = checks.filter((c) => !c.verified);
  if (mode === 'require' && bad.length > 0) {
    throw new SignatureError(`${bad.length} package(s) without a valid signature by the given keys: ${bad.map((c) => `${c.package} (${c.reason}${c.keyId ? `, key ${c.keyId}` : ''})`).join(', ')}`, {
      path: bad[0]!.file,
      value: bad.map((c) => c.package),
      hint: 'pass the signing key with gpgKeys (--gpg-key FILE), or use gpgCheck report to install and see the report',
    });
  }
  return checks;
}
