import {
  emptyManifest,
  mergeManifest,
  prepareUserNamespace,
  reclaimTree,
  sourceDateEpoch,
  type Manifest,
  type UserNamespace,
} from '@distroforge/core';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertEmptyTarget } from '../../empty-target.js';
import { buildAtomically } from '../../build-atomically.js';
import { scanTree } from '../../finish-tree.js';
import { parseOptions } from '../../options.js';
import { defaultCacheDir, fetchPackagesEach } from '../../package-cache.js';
import type { PackageCandidate } from '../../package-candidate.js';
import { PacmanPackageFormatError } from '../errors.js';
import type { PacmanPackageInfo } from '../package-info.js';
import type { PacmanInstallReason, PacmanValidation } from './local-database.js';
import { pacmanBootstrapOptionsSchema, type PacmanBootstrapOptions } from './options.js';
import {
  readPacmanPackage,
  readPacmanPackageMetadata,
  type PacmanPackageContents,
  type PacmanPackageMetadata,
} from './package-archive.js';
import { mtreeFiles } from './mtree-files.js';
import { resolvePacmanSelection } from './resolve-rootfs.js';
import { IMAGE_HOOK_DIRS } from './alpm-hooks.js';
import { installPacmanTransaction, type PacmanTransactionReport } from './transaction.js';

/** One installed package. */
export interface PacmanInstalledPackage {
  name: string;
  version: string;
  repository: string;
  reason: PacmanInstallReason;
  /** The package file's SHA-256 (checked against the database's `%SHA256SUM%`). */
  sha256: string;
  /** What `%VALIDATION%` records: `sha256`, or `pgp` when `verify` checked its signature. */
  validation: PacmanValidation[];
}

/** What `bootstrapPacman` returns. */
export interface PacmanBootstrapResult {
  target: string;
  /** In installation order. */
  packages: PacmanInstalledPackage[];
  /** Owners, special modes, device nodes of the tree (the files on disk are the builder's). */
  manifest: Manifest;
  /** `.INSTALL` functions and hooks, in the order they ran (empty with `scripts: false`). */
  scriptlets: PacmanTransactionReport['scriptlets'];
  hooks: PacmanTransactionReport['hooks'];
  /**
   * Output of the scriptlets and hooks: the `logFile` asked for, else a temporary file made when
   * something ran in the image (absent when nothing did).
   */
  logFile?: string;
}

/**
 * Builds an Arch root in `target` without pacman: reads the repositories' sync databases (or
 * package folders), resolves `include` as `pacman -S` does, fetches the packages into the shared
 * cache checking each against the database's SHA-256, reads them all (a corrupt one stops here),
 * lets `verify` check signatures, then installs them as one pacman transaction
 * (`installPacmanTransaction`: files, the local database, `.INSTALL` functions and alpm hooks in
 * the image root in a user namespace, as root or not). The tree appears at `target` only when
 * everything succeeded; its files are the builder's, the manifest holds the image's owners.
 * `%INSTALLDATE%` and file times come from SOURCE_DATE_EPOCH when it is set.
 */
export async function bootstrapPacman(options: PacmanBootstrapOptions): Promise<PacmanBootstrapResult> {
  const o = parseOptions(pacmanBootstrapOptionsSchema, options);
  const target = resolve(o.target);
  await assertEmptyTarget(target);
  // Before anything is fetched or written: a machine that cannot run the image's scripts says so,
  // with its fix, even when the resolution fails too. Checked while the resolution reads the
  // databases (a resolution failure is handled meanwhile, and thrown once the check passed).
  const preparing = o.scripts ? prepareUserNamespace() : undefined;
  const epoch = sourceDateEpoch();
  const installDate = epoch ?? Math.floor(Date.now() / 1000);
  const cacheDir = o.cacheDir ?? defaultCacheDir();

  // The same resolution resolvePacmanRootfs reports: the two cannot disagree.
  const resolving = resolvePacmanSelection(o);
  resolving.catch(() => undefined);
  const prepared: UserNamespace | undefined = await preparing;
  const resolved = await resolving;
  o.onProgress?.({ phase: 'resolve', packages: resolved.length });

  const candidates = resolved.map(({ pkg, source, reason }) => ({
    pkg,
    source,
    reason,
    candidate: candidateOf(pkg, source.packageUrl(pkg.filename)),
  }));
  // Each package is read as soon as it is in the cache and verified, while later ones are still
  // hashed or downloaded. A read that fails stops the downloads.
  const stopFetching = new AbortController();
  const fetches = fetchPackagesEach(
    candidates.map((c) => c.candidate),
    {
      cacheDir,
      concurrency: o.concurrency,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      signal: o.signal ? AbortSignal.any([o.signal, stopFetching.signal]) : stopFetching.signal,
    },
  );

  // Every package's metadata read before anything is written (a few at once); the rest of each is
  // read, checked and listed as it is unpacked. With hookDirs, a PreTransaction hook may match the
  // packages' files: then they are read whole first.
  const readWhole = o.hookDirs.length > 0;
  let kept = 0;
  const readOne = async ({ pkg, source }: (typeof candidates)[number]) => {
    o.signal?.throwIfAborted();
    const file = await fetches.files.get(pkg.name)!;
    const options = o.signal ? { signal: o.signal } : {};
    // A small package is read whole once and kept decompressed for its unpacking (a decompressor
    // started twice would cost more than the rest of its install), within a memory budget.
    const keep = !readWhole && (await stat(file)).size <= KEEP_COMPRESSED_BYTES && kept < KEEP_TOTAL_BYTES;
    const contents = readWhole
      ? await readPacmanPackage(file, options)
      : await readPacmanPackageMetadata(file, {
          ...options,
          ...(keep ? { keepArchiveBytes: KEEP_ARCHIVE_BYTES } : {}),
        });
    kept += contents.archive?.length ?? 0;
    if (contents.info.name !== pkg.name || contents.info.version !== pkg.version) {
      throw new PacmanPackageFormatError(
        `${pkg.filename} holds ${contents.info.name} ${contents.info.version}, not ${pkg.name} ${pkg.version} as ${pkg.repo}.db says`,
        { path: file, value: `${contents.info.name}-${contents.info.version}` },
      );
    }
    const verified = o.verify
      ? await o.verify({ package: pkg, repository: pkg.repo, file, signature: source.signatureOf(pkg.filename) })
      : undefined;
    return { contents, verified };
  };
  let read: Awaited<ReturnType<typeof readOne>>[];
  try {
    read = await inOrderWithConcurrency(candidates, READ_CONCURRENCY, readOne);
    await fetches.all;
  } catch (error) {
    stopFetching.abort();
    await fetches.all.catch(() => undefined);
    throw error;
  }
  const transaction: {
    contents: PacmanPackageMetadata | PacmanPackageContents;
    reason: PacmanInstallReason;
    validation: PacmanValidation[];
    pkg: PacmanPackageInfo;
  }[] = candidates.map(({ pkg, reason }, k) => ({
    pkg,
    contents: read[k]!.contents,
    reason,
    validation: read[k]!.verified?.signatureVerified ? ['pgp'] : ['sha256'],
  }));
  // The image's scripts need the user namespace only when something can run: an .INSTALL function,
  // a hook (the packages' or hookDirs) or ldconfig; otherwise the files are unpacked alone, as with
  // scripts: false (the same tree and manifest, without the namespace's processes). The file lists
  // come from the packages' .MTREE; one whose files, once unpacked, turn out to need the namespace
  // after all (an .MTREE that does not list them) has the install done again with it.
  // The scripts' log: the caller's (always written), else a temporary one made only when something
  // runs in the image; an install that runs nothing leaves no empty log behind.
  let logFile = o.logFile;
  const install = async (namespace: UserNamespace | undefined) => {
    if (namespace && logFile === undefined)
      logFile = join(await mkdtemp(join(tmpdir(), 'distroforge-pacman-')), 'scripts.log');
    if (logFile !== undefined) await writeFile(logFile, '');
    return buildAtomically(
      target,
      async (root) => {
        const report = await installPacmanTransaction(root, transaction, {
          namespace,
          ...(logFile === undefined ? {} : { logFile }),
          installDate,
          strictScripts: o.strictScripts,
          hookDirs: o.hookDirs,
          env: {
            PATH: '/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin',
            LC_ALL: 'C',
            HOME: '/root',
            ...(epoch === undefined ? {} : { SOURCE_DATE_EPOCH: String(epoch) }),
          },
          ...(o.onProgress ? { onProgress: o.onProgress } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        });
        if (!namespace && prepared && transaction.some((t, k) => mayRunInImage(t.contents, report.installed[k]!.files)))
          throw new NamespaceNeeded();
        const scanned =
          namespace || epoch !== undefined ? await scanTree(root, epoch, namespace ? { namespace } : {}) : [];
        // With the scripts run, the tree as the namespace saw it is the truth (nodes aside, never on
        // disk); unpacked only, the archives' headers are.
        const nodes = report.manifest.filter((e) => e.type === 'char' || e.type === 'block' || e.type === 'fifo');
        const entries = namespace ? [...nodes, ...scanned] : [...scanned, ...report.manifest];
        return { manifest: mergeManifest(emptyManifest(), entries), report };
      },
      namespace ? (temp) => reclaimTree(namespace, temp) : undefined,
    );
  };
  const needed =
    prepared &&
    (o.hookDirs.length > 0 ||
      transaction.some((t) =>
        mayRunInImage(t.contents, 'files' in t.contents ? t.contents.files : mtreeFiles(t.contents.mtree)),
      ));
  const { manifest, report } = await install(needed ? prepared : undefined).catch((error: unknown) => {
    if (error instanceof NamespaceNeeded) return install(prepared);
    throw error;
  });

  return {
    target,
    packages: transaction.map((t) => ({
      name: t.pkg.name,
      version: t.pkg.version,
      repository: t.pkg.repo,
      reason: t.reason,
      sha256: t.pkg.sha256!,
      validation: t.validation,
    })),
    manifest,
    scriptlets: report.scriptlets,
    hooks: report.hooks,
    ...(logFile === undefined ? {} : { logFile }),
  };
}

/** Packages at most this large (compressed) are read whole and kept decompressed, each up to KEEP_ARCHIVE_BYTES, all together up to KEEP_TOTAL_BYTES. */
const KEEP_COMPRESSED_BYTES = 1 << 20;
const KEEP_ARCHIVE_BYTES = 16 << 20;
const KEEP_TOTAL_BYTES = 96 << 20;

/** Packages read side by side: each decompressor is a process, so two cores both work. */
const READ_CONCURRENCY = Math.min(4, Math.max(2, availableParallelism()));

/**
 * `run` over `items` with at most `limit` at once; results in the items' order. A failure stops
 * new items from starting; once the started ones settle, the failure of the earliest item is
 * thrown (every item before it had started), so the error does not depend on timing.
 */
async function inOrderWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const failures: { index: number; error: unknown }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const k = next++;
      try {
        results[k] = await run(items[k]!);
      } catch (error) {
        failures.push({ index: k, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).error;
  return results;
}

/** The fetcher's view of a package: where it is, its size and SHA-256. */
function candidateOf(pkg: PacmanPackageInfo, location: string): PackageCandidate {
  return {
    name: pkg.name,
    version: pkg.version,
    architecture: pkg.architecture ?? 'any',
    preDepends: [],
    depends: [],
    provides: [],
    essential: false,
    priority: 'optional',
    multiArch: 'no',
    size: pkg.compressedSize ?? 0,
    installedSize: pkg.installedSize ?? 0,
    sha256: pkg.sha256!,
    location,
    origin: pkg.repo,
  };
}

/** Thrown inside the first install attempt when its packages turned out to need the namespace. */
class NamespaceNeeded extends Error {}

/**
 * Whether a package gives the image something to run: an `.INSTALL` function, a hook file, or
 * `/etc/ld.so.conf` (ldconfig). `files` undefined (no .MTREE to list them): it may.
 */
function mayRunInImage(contents: PacmanPackageMetadata, files: readonly string[] | undefined): boolean {
  if (contents.install && (contents.install.includes('pre_install') || contents.install.includes('post_install')))
    return true;
  if (files === undefined) return true;
  return files.some(
    (f) => f === 'etc/ld.so.conf' || IMAGE_HOOK_DIRS.some((d) => f === `${d}/` || f.startsWith(`${d}/`)),
  );
}
