import {
  reclaimTree,
  withImageRoot,
  emptyManifest,
  mergeManifest,
  prepareUserNamespace,
  sourceDateEpoch,
  type Manifest,
  type ManifestEntry,
  type OptionIssue,
} from '@distroforge/core';
import { idResolverFromRoot, toCoreManifest } from '@distroforge/rpm-extract';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as openpgp from 'openpgp';
import { SignatureError, UnsatisfiableError } from '../errors.js';
import { expandGroupIncludes, type GroupSelection } from './comps-groups.js';
import { readGpgKeys, type GpgVerification } from '../gpg-verify.js';
import { checkRpmSignature, type RpmSignatureCheck } from './signature-check.js';
import type { RpmScriptletReport } from './scriptlets.js';
import { installRpmTransaction, loadRpmTransaction, type RpmScriptletEvent } from './transaction.js';
import { detectRpmdbFormatFromPackages, writeScratchRpmdb, type RpmdbReport } from './rpmdb.js';
import { openRpmdbStepper } from './rpmdb-stepper.js';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { assertEmptyTarget } from '../empty-target.js';
import { scanTree } from '../finish-tree.js';
import { buildAtomically } from '../build-atomically.js';
import { invalidOptions, parseOptions } from '../options.js';
import { defaultCacheDir, fetchPackages } from '../package-cache.js';
import type { ResolvedPackage } from '../resolve-dependencies.js';
import type { ResolvedRootfsPackage } from '../resolve-rootfs.js';
import type { RpmCandidate } from './candidate.js';
import {
  rpmBootstrapOptionsSchema,
  rpmResolveOptionsSchema,
  type NormalisedRpmResolveOptions,
  type RpmBootstrapOptions,
  type RpmResolveOptions,
} from './options.js';
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
  /** Scriptlets that ran, failed, or were not run; `events` lists them in the order they ran (rpm's). */
  scriptlets: RpmScriptletReport & { events: RpmScriptletEvent[] };
  /** The image's rpm database (option `rpmdb`). */
  rpmdb: RpmdbReport;
  /** Scriptlet output (when they ran). */
  logFile?: string;
  timings: RpmResolveResult['timings'] & {
    downloadMs: number;
    unpackMs: number;
    configureMs: number;
    rpmdbMs: number;
    totalMs: number;
  };
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
  if (o.gpgCheck === 'require' && o.gpgKeys.length === 0)
    issues.push({ key: 'gpgKeys', message: 'gpgCheck "require" needs gpgKeys (the OpenPGP public keys to trust)' });
  if (o.include.length === 0 && o.localPackages.length === 0)
    issues.push({ key: 'include', message: 'nothing to install (give include or localPackages)' });
  if (issues.length > 0) throw invalidOptions(issues);
  const keys = o.gpgCheck === 'off' ? [] : await readGpgKeys(o.gpgKeys);
  const source = rpmSource(o.source, {
    ...(o.gpgCheck === 'off' ? {} : { repomdGpg: { mode: o.gpgCheck, keys } }),
    ...(o.minRepomdRevision !== undefined && !o.allowRepomdRollback ? { minRepomdRevision: o.minRepomdRevision } : {}),
  });
  let t = performance.now();
  const local = await readLocalPackages(source, o.localPackages, o.architecture);
  const index = local.overlay(
    await source.index({
      suite: o.source,
      variant: '',
      architecture: o.architecture,
      cacheDir,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    }),
  );
  const indexMs = performance.now() - t;
  t = performance.now();
  const names = new Set(index.candidates.map((c) => c.name));
  for (const x of o.exclude) names.delete(x);
  const expanded = expandGroupIncludes(o.include, index.comps, {
    types: o.groupPackageTypes,
    available: (n) => names.has(n),
  });
  const resolved = resolveWithConditionals(
    [...expanded.names, ...local.names],
    expanded.selections.flatMap((s) => s.conditional),
    (names) =>
      local.explain(() =>
        resolveRpmDependencies(index.candidates, {
          names,
          exclude: o.exclude,
          architecture: o.architecture,
          weakDeps: o.weakDeps,
        }),
      ),
  );
  const order = rpmInstallOrder(resolved.map((r) => r.candidate as RpmCandidate));
  const resolveMs = performance.now() - t;
  o.onProgress?.({ phase: 'resolve', packages: resolved.length });
  // Chains of group members start at the group (`@minimal -> busybox -> filesystem`).
  const groupOf = new Map<string, string>();
  for (const s of expanded.selections)
    for (const n of [...s.packages, ...s.conditional.map((c) => c.name)])
      if (!groupOf.has(n) && !o.include.includes(n) && !local.names.includes(n)) groupOf.set(n, s.request);
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
      gpg: {
        mode: o.gpgCheck,
        ...(index.repositorySignature ? { repository: index.repositorySignature } : {}),
        packages: [],
      },
      timings: { indexMs: Math.round(indexMs), resolveMs: Math.round(resolveMs) },
    },
    order,
    cacheDir,
    keys,
  };
}

/** Resolves `names`, then adds a group's conditional packages whose named package is in the set (as dnf), until stable. */
function resolveWithConditionals(
  names: string[],
  conditional: readonly { name: string; requires: string }[],
  resolve: (names: string[]) => ResolvedPackage[],
): ResolvedPackage[] {
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
 * Builds a root filesystem from an rpm source: resolves, fetches (rpm-repo over http, verified into
 * the shared cache), refuses file conflicts (rpm's rule), extracts every package with rpm-extract in
 * installation order into the tree (digests verified), writes the image's rpm database with the
 * host's rpm (`--justdb`, option `rpmdb`), and returns the manifest with ids from the target's own
 * passwd/group. With `scriptlets`, every scriptlet kind runs in rpm's order in the target's root, in
 * a user namespace (as root or not): see `installRpmTransaction`.
 * With `gpgCheck`, every package's signature is checked (and, under `require`, enforced) before
 * anything is extracted.
 * The tree appears at `target` only when everything succeeded.
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
  const downloaded =
    remote.length === 0
      ? new Map<string, string>()
      : await fetchPackages(remote, {
          cacheDir: plan.cacheDir,
          concurrency: o.concurrency,
          ...(o.onProgress ? { onProgress: o.onProgress } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        });
  const fileOf = (p: RpmCandidate): string => downloaded.get(p.name) ?? fileURLToPath(p.location);
  const downloadMs = performance.now() - t;
  const signatures =
    o.gpgCheck === 'off' ? [] : await checkPackageSignatures(plan.order.map(fileOf), plan.keys, o.gpgCheck);

  t = performance.now();
  const logFile = o.scriptlets
    ? (o.logFile ?? join(await mkdtemp(join(tmpdir(), 'distroforge-rpm-')), 'scriptlets.log'))
    : undefined;
  const rpmdbLog = logFile ?? o.logFile ?? join(await mkdtemp(join(tmpdir(), 'distroforge-rpm-')), 'rpmdb.log');
  const epoch = sourceDateEpoch();
  const rpmPackage = plan.order.find((p) => p.name === 'rpm');
  let rpmdb: RpmdbReport = {
    written: false,
    dbpath: '/var/lib/rpm',
    backend: 'sqlite',
    detectedFrom: 'default',
    files: [],
    writer: 'none (option rpmdb)',
    ms: 0,
  };
  const loaded = await loadRpmTransaction(plan.order.map((candidate) => ({ candidate, file: fileOf(candidate) })));
  // rpm opens its database before the first package: where and in which format comes from the
  // macro files of the packages being installed.
  const format = o.rpmdb === 'none' ? undefined : await detectRpmdbFormatFromPackages(loaded, rpmPackage?.version);
  // A format the host's librpm writes (sqlite): it records each header during the transaction, as
  // rpm does, in rpm's transaction order, which the install follows (scriptlets run in dnf's order).
  const stepwise =
    format !== undefined &&
    loaded.length > 0 &&
    (o.rpmdb === 'host-rpm' || (o.rpmdb === 'auto' && format.backend === 'sqlite'));
  // Otherwise the host's rpm writes a scratch database first for that order, and the whole database
  // is put in before %posttrans (by the image's rpm when the format is one the host cannot write).
  const scratch =
    format === undefined || stepwise
      ? undefined
      : await writeScratchRpmdb(plan.order.map(fileOf), {
          rpmVersion: rpmPackage?.version,
          sourceDateEpoch: epoch,
          logFile: rpmdbLog,
          ...(o.signal ? { signal: o.signal } : {}),
        });
  const position = new Map(scratch?.order.map((key, i) => [key, i]));
  const key = (c: RpmCandidate) => `${c.name}.${c.architecture}`;
  if (scratch)
    refuseLeftOut(
      loaded.filter((m) => !position.has(key(m.candidate))),
      plan.result.packages,
      rpmdbLog,
    );
  let members = scratch
    ? [...loaded].sort((a, b) => position.get(key(a.candidate))! - position.get(key(b.candidate))!)
    : loaded;
  const { manifest, scriptlets } = await buildAtomically(
    target,
    async (root) => {
      await mkdir(join(root, 'var/tmp'), { recursive: true });
      const stepper =
        stepwise && format
          ? await openRpmdbStepper(
              root,
              loaded.map((m) => m.file),
              format,
              { sourceDateEpoch: epoch, logFile: rpmdbLog, ...(o.signal ? { signal: o.signal } : {}) },
            )
          : undefined;
      const index = new Map(loaded.map((m, i) => [m, i]));
      if (stepper) {
        members = stepper.order.map((i) => loaded[i]!);
        const kept = new Set(members);
        try {
          refuseLeftOut(
            loaded.filter((m) => !kept.has(m)),
            plan.result.packages,
            rpmdbLog,
          );
        } catch (error) {
          await stepper.abort();
          throw error;
        }
      }
      const transaction = await installRpmTransaction(root, members, {
        ...(stepper
          ? {
              database: {
                begin: () => {
                  o.onProgress?.({ phase: 'configure', step: 'record each package in the rpm database (host librpm)' });
                  return stepper.begin();
                },
                added: (m) => stepper.add(index.get(m)!),
                end: async () => {
                  rpmdb = await stepper.finish();
                },
                abort: () => stepper.abort(),
              },
            }
          : {}),
        ...(logFile && namespace
          ? {
              run: {
                namespace,
                logFile,
                sourceDateEpoch: epoch,
                abortOnFailure: o.abortOnScriptletFailure,
                luaScriptlets: o.luaScriptlets,
                ...(o.signal ? { signal: o.signal } : {}),
              },
            }
          : {}),
        onUnpack: (name, done, total) => o.onProgress?.({ phase: 'unpack', name, done, total }),
        afterPackages: async () => {
          if (!scratch) return;
          o.onProgress?.({ phase: 'configure', step: 'write the rpm database (host rpm --justdb)' });
          rpmdb = await scratch.install(root, {
            writer: o.rpmdb === 'none' ? 'auto' : o.rpmdb,
            runInImage: async (argv) => {
              const ns = namespace ?? (await prepareUserNamespace());
              await withImageRoot(
                root,
                {
                  env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', HOME: '/root' },
                  logFile: rpmdbLog,
                  namespace: ns,
                },
                (session) => session.run(argv),
              );
            },
          });
        },
        ...(o.signal ? { signal: o.signal } : {}),
      });
      // Owners are names in rpm; the target's passwd/group exist only once `setup` is unpacked.
      const archiveManifest = toCoreManifest(
        { format: 'distroforge-rpm-manifest', version: 1, entries: transaction.entries },
        await idResolverFromRoot(root),
      ).entries;
      const scanned: ManifestEntry[] = logFile && namespace ? await scanTree(root, undefined, { namespace }) : [];
      // The rpmdb files belong to the builder on disk, to root in the image.
      const dbEntries: ManifestEntry[] = rpmdb.files.map((f) => ({
        path: `${rpmdb.dbpath}/${f}`,
        type: 'file',
        uid: 0,
        gid: 0,
        mode: 0o644,
      }));
      // rpm's headers decide the owners of its files (read after %pre, which may add users); the scan
      // adds what the scriptlets made.
      const manifest = mergeManifest(emptyManifest(), [...scanned, ...archiveManifest, ...dbEntries]);
      return { manifest, scriptlets: transaction.scriptlets };
    },
    namespace ? (temp) => reclaimTree(namespace, temp) : undefined,
  ).finally(() => scratch?.dispose());
  const elapsed = performance.now() - t;
  // With scriptlets, unpacking and scriptlets interleave as in rpm: configureMs covers both.
  const configureMs = logFile && namespace ? elapsed - rpmdb.ms : 0;
  const unpackMs = logFile && namespace ? 0 : elapsed - rpmdb.ms;

  return {
    ...plan.result,
    order: members.map((m) => m.candidate.name),
    // In install order (rpm's, once it ordered the transaction).
    gpg: {
      ...plan.result.gpg,
      packages: [...signatures].sort(
        (a, b) => members.findIndex((m) => m.file === a.file) - members.findIndex((m) => m.file === b.file),
      ),
    },
    target,
    manifest,
    configured: logFile !== undefined,
    ...(logFile
      ? { logFile }
      : {
          skippedReason: "scriptlets were not requested (option scriptlets): the tree holds the archives' files only",
        }),
    scriptlets,
    rpmdb,
    timings: {
      ...plan.result.timings,
      downloadMs: Math.round(downloadMs),
      unpackMs: Math.round(unpackMs),
      configureMs: Math.round(configureMs),
      rpmdbMs: rpmdb.ms,
      totalMs: Math.round(performance.now() - start),
    },
  };
}

/**
 * rpm leaves a package out of its transaction when another package of it obsoletes it, or is the
 * same or a newer version of it (lib/depends.c `findPos`); dnf refuses such a request ("conflicting
 * requests"). Installing its files anyway would leave them without a database entry.
 */
function refuseLeftOut(
  left: readonly { candidate: RpmCandidate }[],
  packages: readonly { name: string; chain: string[] }[],
  logFile: string,
): void {
  const first = left[0];
  if (!first) return;
  const chain = packages.find((p) => p.name === first.candidate.name)?.chain ?? [first.candidate.name];
  throw new UnsatisfiableError(
    chain,
    `rpm's transaction leaves ${left.map((m) => `${m.candidate.name}-${m.candidate.version}.${m.candidate.architecture}`).join(', ')} out: another package of the request obsoletes it (or is the same or a newer version of it), which dnf refuses as conflicting requests`,
    { path: logFile, hint: 'drop one of the two from the request (include, localPackages)' },
  );
}

/** Checks every package's signature (in install order); `require` refuses before anything is extracted. */
async function checkPackageSignatures(
  files: string[],
  keys: openpgp.Key[],
  mode: 'report' | 'require',
): Promise<RpmSignatureCheck[]> {
  const checks: RpmSignatureCheck[] = [];
  for (const file of files) checks.push(await checkRpmSignature(file, keys));
  const bad = checks.filter((c) => !c.verified);
  if (mode === 'require' && bad.length > 0) {
    throw new SignatureError(
      `${bad.length} package(s) without a valid signature by the given keys: ${bad.map((c) => `${c.package} (${c.reason}${c.keyId ? `, key ${c.keyId}` : ''})`).join(', ')}`,
      {
        path: bad[0]!.file,
        value: bad.map((c) => c.package),
        hint: 'pass the signing key with gpgKeys (--gpg-key FILE), or use gpgCheck report to install and see the report',
      },
    );
  }
  return checks;
}
