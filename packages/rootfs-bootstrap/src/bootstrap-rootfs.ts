import {
  emptyManifest,
  mergeManifest,
  prepareUserNamespace,
  reclaimTree,
  sourceDateEpoch,
  type Manifest,
  type ManifestEntry,
  type UserNamespace,
} from '@distroforge/core';
import { buildAtomically } from './build-atomically.js';
import { chmod, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { assertEmptyTarget } from './empty-target.js';
import { removeVolatileFiles, scanTree } from './finish-tree.js';
import {
  bootstrapOptionsSchema,
  parseOptions,
  type BootstrapOptions,
  type NormalisedBootstrapOptions,
} from './options.js';
import { defaultCacheDir, fetchPackages } from './package-cache.js';
import { planRootfsInWorker } from './plan/plan-in-worker.js';
import { memoizedPlan } from './resolution-memo.js';
import type { ResolvedRootfsPackage, ResolveResult } from './resolve-rootfs.js';
import { UNPACK_STEPS } from './apt/install.js';
import { createMergedUsrLinks } from './apt/merged-usr.js';
import type { AptRepository } from './apt/sources-list.js';
import type { InstallReport, MaintainerScripts } from './package-source.js';

/** What `bootstrapRootfs` returns. */
export interface BootstrapResult {
  target: string;
  suite: string;
  variant: string;
  architecture: string;
  /** The installed packages, sorted by name: the future lock file. */
  packages: ResolvedRootfsPackage[];
  /** The Release each repository was read from (`ResolveResult.releases`). */
  releases: ResolveResult['releases'];
  /** Owners, special modes and device nodes of the tree (DESIGN.md principle 2). */
  manifest: Manifest;
  /** Whether maintainer scripts ran (dpkg in the target's root, in a user namespace); when false, `skippedReason` says why. */
  configured: boolean;
  skippedReason?: string;
  maintainerScripts: MaintainerScripts[];
  /** Each package-manager step in the chroot and how long it took. */
  configureSteps: { step: string; ms: number }[];
  /** dpkg's output (outside the tree). */
  logFile: string;
  timings: ResolveResult['timings'] & {
    downloadMs: number;
    unpackMs: number;
    configureMs: number;
    finishMs: number;
    totalMs: number;
  };
}

/**
 * Builds a Debian root filesystem in `target`: resolves and verifies the packages and unpacks them
 * in-process, records them in the target's dpkg database and configures them with its own dpkg in
 * the target's root, in a user namespace, as root or as an ordinary user alike (maintainer scripts
 * run) — see `installWithDpkg`. The tree on disk belongs to the invoking user; the manifest holds the
 * image's owners. The tree appears at `target` only when everything succeeded.
 */
export async function bootstrapRootfs(options: BootstrapOptions): Promise<BootstrapResult> {
  const o = parseOptions(bootstrapOptionsSchema, options);
  const start = performance.now();
  const target = resolve(o.target);
  await assertEmptyTarget(target);
  const configure = o.configure !== 'never';
  // Before any work: a machine that cannot run the image's scripts says so, with its fix.
  const namespace: UserNamespace | undefined = configure ? await prepareUserNamespace() : undefined;
  const epoch = sourceDateEpoch();

  // The repository index (tens of thousands of candidates) is read in a worker thread whose heap
  // goes with it: this thread keeps only what installing needs, and a smaller process forks
  // decompressors and dpkg faster (fork copies the page tables of the whole heap). The same
  // request against the same signed indexes is answered from the memo, without reading them.
  const plan = await memoizedPlan(o, o.cacheDir ?? defaultCacheDir(), () => planRootfsInWorker(o));
  let t = performance.now();
  const files = await fetchPackages(plan.order, {
    cacheDir: plan.cacheDir,
    concurrency: o.concurrency,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const downloadMs = performance.now() - t;

  const logDir = o.logFile ? undefined : await mkdtemp(join(tmpdir(), 'distroforge-bootstrap-'));
  const logFile = o.logFile ?? join(logDir!, 'dpkg.log');
  await writeFile(logFile, '');

  const timings = { unpackMs: 0, configureMs: 0, finishMs: 0 };
  const { manifest, report } = await buildAtomically(
    target,
    async (root) => {
      await createSkeleton(root, o, plan.result.repositories);
      if (plan.result.mergedUsr) await createMergedUsrLinks(root, plan.result.architecture);
      t = performance.now();
      let report: InstallReport = { maintainerScripts: [], steps: [], manifest: [] };
      let manifestEntries: ManifestEntry[] = [];
      if (namespace) {
        report = await plan.source.install({
          root,
          order: plan.order,
          essentialSet: plan.essentialSet,
          files,
          logFile,
          sourceDateEpoch: epoch,
          initramfs: o.initramfs,
          namespace,
          ...(o.onProgress ? { onProgress: o.onProgress } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          ...(o.onFilesUnpacked ? { onFilesUnpacked: o.onFilesUnpacked } : {}),
        });
        const elapsed = performance.now() - t;
        timings.unpackMs = report.steps.filter((s) => UNPACK_STEPS.has(s.step)).reduce((sum, s) => sum + s.ms, 0);
        timings.configureMs = elapsed - timings.unpackMs;
        manifestEntries = report.manifest;
      } else {
        // Without dpkg the archive order decides overlaps: one package at a time.
        const perPackage: ManifestEntry[][] = [];
        for (const [i, pkg] of plan.order.entries()) {
          perPackage.push((await plan.source.unpack(files.get(pkg.name)!, root, { chown: false })).manifest);
          o.onProgress?.({ phase: 'unpack', name: pkg.name, done: i + 1, total: plan.order.length });
        }
        manifestEntries = perPackage.flat();
        timings.unpackMs = performance.now() - t;
        await o.onFilesUnpacked?.(root);
      }
      t = performance.now();
      await removeVolatileFiles(root);
      const scanned = await scanTree(root, epoch, namespace ? { namespace } : {});
      timings.finishMs = performance.now() - t;
      // After the scripts ran, the tree as the namespace saw it is the truth, except for nodes (never
      // on disk); unpacked only, the archives' headers are.
      const entries = namespace ? [...manifestEntries, ...scanned] : [...scanned, ...manifestEntries];
      return { manifest: mergeManifest(emptyManifest(), entries), report };
    },
    namespace ? (temp) => reclaimTree(namespace, temp) : undefined,
  );

  return {
    target,
    suite: plan.result.suite,
    variant: plan.result.variant,
    architecture: plan.result.architecture,
    packages: plan.result.packages,
    releases: plan.result.releases,
    manifest,
    configured: configure,
    ...(configure ? {} : { skippedReason: 'configure: "never" was requested' }),
    maintainerScripts: report.maintainerScripts,
    configureSteps: report.steps,
    logFile,
    timings: {
      ...plan.result.timings,
      downloadMs: Math.round(downloadMs),
      unpackMs: Math.round(timings.unpackMs),
      configureMs: Math.round(timings.configureMs),
      finishMs: Math.round(timings.finishMs),
      totalMs: Math.round(performance.now() - start),
    },
  };
}

/** The directories and files dpkg and apt expect before the first package. */
async function createSkeleton(
  root: string,
  o: NormalisedBootstrapOptions,
  repositories: readonly AptRepository[],
): Promise<void> {
  for (const dir of [
    'etc/apt/apt.conf.d',
    'etc/apt/preferences.d',
    'etc/apt/sources.list.d',
    'etc/apt/trusted.gpg.d',
    'etc/dpkg/dpkg.cfg.d',
    'var/lib/dpkg/info',
    'var/lib/dpkg/updates',
    'var/lib/dpkg/triggers',
    'var/lib/apt/lists/partial',
    'var/cache/apt/archives/partial',
    'var/log/apt',
    'dev',
    'proc',
    'sys',
    'run',
    'var/tmp',
  ]) {
    await mkdir(join(root, dir), { recursive: true });
  }
  await mkdir(join(root, 'tmp'));
  await chmod(join(root, 'tmp'), 0o1777); // mkdir's mode is filtered by the umask
  await writeFile(join(root, 'var/lib/dpkg/status'), '');
  await writeFile(join(root, 'var/lib/dpkg/available'), '');
  await writeFile(join(root, 'var/lib/dpkg/arch'), `${o.architecture}\n`);
  // The target's own apt sees the mirrors it was built from (network ones only; a file:// mirror
  // is not reachable from inside the image), as mmdebstrap writes them.
  const lines = repositories
    .filter((r) => /^https?:/.test(r.uri))
    .map((r) => `deb ${r.uri} ${r.suite} ${r.components.join(' ')}`);
  if (lines.length > 0) await writeFile(join(root, 'etc/apt/sources.list'), `${lines.join('\n')}\n`);
}
