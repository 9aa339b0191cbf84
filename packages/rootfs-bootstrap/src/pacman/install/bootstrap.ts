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
import { readPacmanPackage, readPacmanPackageMetadata } from './package-archive.js';
import { resolvePacmanSelection } from './resolve-rootfs.js';
import { installPacmanTransaction, type PacmanTransactionReport } from './transaction.js';
import { zstdDecoderFor } from './zstd-decoder.js';

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

  // The decoder threads start while the databases are read (decoded here, without them): the
  // first package read does not wait for a thread to boot.
  void zstdDecoderFor().then((pool) => pool?.warmUp());
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

  // Every package's metadata is read (a few at once, in order) while the transaction unpacks the
  // packages before it; nothing of the image runs until all are read and checked (a corrupt one
  // stops the build there, and the tree being built is removed). With hookDirs, a PreTransaction
  // hook may match the packages' files: then they are read whole.
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
    const validation: PacmanValidation[] = verified?.signatureVerified ? ['pgp'] : ['sha256'];
    return { contents, validation };
  };
  const stopReading = new AbortController();
  const reads = startInOrder(candidates, READ_CONCURRENCY, readOne, stopReading.signal);
  const transaction = candidates.map(({ reason }, k) => {
    const ready = reads[k]!.then(({ contents, validation }) => ({ contents, reason, validation }));
    ready.catch(() => undefined); // met in order by the transaction, or not at all once it failed
    return ready;
  });

  // The scripts' log: the caller's (always written), else a temporary one made when something
  // first runs in the image (an install that runs nothing leaves no empty log behind).
  let logFile = o.logFile;
  if (logFile !== undefined) await writeFile(logFile, '');
  const makeLog = async () => {
    logFile = join(await mkdtemp(join(tmpdir(), 'distroforge-pacman-')), 'scripts.log');
    await writeFile(logFile, '');
    return logFile;
  };
  const install = () =>
    buildAtomically(
      target,
      async (root) => {
        const report = await installPacmanTransaction(root, transaction, {
          namespace: prepared,
          logFile: logFile ?? makeLog,
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
        // Once something ran in the image, the tree as the namespace sees it is the truth (nodes
        // aside, never on disk); when nothing did, the archives' headers are.
        const namespace = report.ranInImage ? prepared : undefined;
        const scanned =
          namespace || epoch !== undefined ? await scanTree(root, epoch, namespace ? { namespace } : {}) : [];
        const nodes = report.manifest.filter((e) => e.type === 'char' || e.type === 'block' || e.type === 'fifo');
        const entries = namespace ? [...nodes, ...scanned] : [...scanned, ...report.manifest];
        return { manifest: mergeManifest(emptyManifest(), entries), report };
      },
      prepared ? (temp) => reclaimTree(prepared, temp) : undefined,
    );
  let built: Awaited<ReturnType<typeof install>>;
  try {
    built = await install();
    await fetches.all;
  } catch (error) {
    stopReading.abort();
    stopFetching.abort();
    await Promise.allSettled(reads);
    await fetches.all.catch(() => undefined);
    throw error;
  }
  const { manifest, report } = built;
  const read = await Promise.all(reads);

  return {
    target,
    packages: candidates.map(({ pkg, reason }, k) => ({
      name: pkg.name,
      version: pkg.version,
      repository: pkg.repo,
      reason,
      sha256: pkg.sha256!,
      validation: read[k]!.validation,
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
 * Starts `run` over `items` in order, at most `limit` at once, and returns each item's promise. A
 * failure (or `signal`) stops new items from starting; those reject with the earliest failure
 * (every item before it had started), so what a caller meets going through them in order does not
 * depend on timing. Every promise is marked handled: a caller that stops early leaves none unhandled.
 */
function startInOrder<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
  signal: AbortSignal,
): Promise<R>[] {
  const settle: { resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];
  const promises = items.map(
    () =>
      new Promise<R>((resolve, reject) => {
        settle.push({ resolve, reject });
      }),
  );
  for (const promise of promises) promise.catch(() => undefined);
  let next = 0;
  const failures: { index: number; error: unknown }[] = [];
  const worker = async () => {
    while (next < items.length && failures.length === 0 && !signal.aborted) {
      const k = next++;
      try {
        settle[k]!.resolve(await run(items[k]!));
      } catch (error) {
        settle[k]!.reject(error);
        failures.push({ index: k, error });
      }
    }
  };
  void Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker)).then(() => {
    const earliest = failures.reduce<(typeof failures)[number] | undefined>(
      (a, b) => (a && a.index < b.index ? a : b),
      undefined,
    );
    for (let k = next; k < items.length; k++)
      settle[k]!.reject(earliest ? earliest.error : (signal.reason ?? new Error('not read: the install stopped')));
  });
  return promises;
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
