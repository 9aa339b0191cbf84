import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { compressionOfFileName, decompress, sha256File } from '@distroforge/core';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AptRepository } from './sources-list.js';
import { BootstrapError, MetadataRollbackError, ReleaseError, SignatureError } from '../errors.js';
import { checkReleaseAcceptable } from './release-acceptance.js';
import { downloadVerified, fetchBytes } from '../fetch-resource.js';
import type { PackageCandidate } from '../package-candidate.js';
import { AptCandidate, StringPool, type AptIndexFile } from './apt-candidate.js';
import { forEachLine } from './byte-lines.js';
import { FIELD_INDEX, PACKAGES_FIELDS, scanPackages, type PackagesRow } from './packages-scan.js';
import { parseRelease, verifyInRelease, type ReleaseInfo } from './release-file.js';

export interface LoadAptIndexOptions {
  repositories: readonly AptRepository[];
  architecture: string;
  /** Keyring for repositories without `Signed-By`. */
  keyring: string;
  /** Skip signature checks (digests are still checked against the unverified Release). */
  insecure: boolean;
  /** Directory where verified index files are kept by SHA-256. */
  cacheDir: string;
  signal?: AbortSignal;
  /** Reference time for `Valid-Until` (defaults to now). */
  now?: Date;
  /** What each Release must satisfy beyond its signature (default: its suite only). */
  releaseChecks?: ReleaseChecks;
}

/** Options of the Release checks (`checkReleaseAcceptable`). */
export interface ReleaseChecks {
  /** Oldest acceptable `Date` per suite as requested (`bookworm`, `bookworm-security`). */
  minDates?: Readonly<Record<string, Date>>;
  /** Accept a Release older than its minimum. */
  allowRollback?: boolean;
  /** Accept an expired Release (`Valid-Until` passed). */
  allowExpired?: boolean;
}

/** One repository's verified metadata. */
export interface LoadedRepository {
  repository: AptRepository;
  release: ReleaseInfo;
  /** Its InRelease URL. */
  url: string;
  /** Number of candidates read for this repository. */
  packageCount: number;
}

export interface AptIndex {
  candidates: PackageCandidate[];
  repositories: LoadedRepository[];
}

/** Fetches, verifies and parses `InRelease` and `Packages` of every repository. */
export async function loadAptIndex(options: LoadAptIndexOptions): Promise<AptIndex> {
  // One pool for all: architectures and priorities are a handful of values.
  const pool = new StringPool();
  const loaded = await Promise.all(options.repositories.map((repository) => loadRepository(repository, options, pool)));
  const candidates: PackageCandidate[] = [];
  const repositories: LoadedRepository[] = [];
  for (const { repository, release, url, entries } of loaded) {
    for (const candidate of entries) candidates.push(candidate);
    repositories.push({ repository, release, url, packageCount: entries.length });
  }
  return { candidates, repositories };
}

/** The pauses before fetching an InRelease older than the minimum again (over HTTP): three fetches in all. */
const ROLLBACK_RETRY_DELAYS_MS = [1000, 2000];

/**
 * A repository's `InRelease`: fetched, its signature verified, parsed, checked for expiry. One
 * older than the caller's minimum is fetched again, asking caches for a fresh copy, before it is
 * refused: a mirror network's nodes do not all update at once (deb.debian.org answered with the
 * previous day's bookworm-updates once, minutes after serving the current one). A local folder
 * (`file:`) has no such nodes: its answer is final.
 */
export async function loadRelease(
  repository: AptRepository,
  options: Omit<LoadAptIndexOptions, 'repositories' | 'architecture' | 'cacheDir'>,
): Promise<{ release: ReleaseInfo; text: string; url: string }> {
  const delays = repository.uri.startsWith('file:') ? [] : ROLLBACK_RETRY_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await loadReleaseOnce(repository, options, attempt > 0);
    } catch (error) {
      const delay = delays[attempt];
      if (!(error instanceof MetadataRollbackError) || delay === undefined) throw error;
      await sleep(delay, undefined, { signal: options.signal });
    }
  }
}

async function loadReleaseOnce(
  repository: AptRepository,
  options: Omit<LoadAptIndexOptions, 'repositories' | 'architecture' | 'cacheDir'>,
  fresh: boolean,
): Promise<{ release: ReleaseInfo; text: string; url: string }> {
  const url = `${repository.uri}/dists/${repository.suite}/InRelease`;
  const raw = await fetchBytes(url, { signal: options.signal, fresh });
  const keyring = repository.signedBy?.startsWith('/') ? repository.signedBy : options.keyring;
  const text = options.insecure ? stripClearsign(raw.toString('utf8')) : await verifyInRelease(raw, keyring, url);
  const release = parseRelease(text, url);
  const checks = options.releaseChecks ?? {};
  const minDate = Object.hasOwn(checks.minDates ?? {}, repository.suite)
    ? checks.minDates![repository.suite]
    : undefined;
  checkReleaseAcceptable(release, url, repository.suite, {
    ...(minDate ? { minDate } : {}),
    allowRollback: checks.allowRollback ?? false,
    // Unverified metadata (insecure) has never been held to its Valid-Until.
    allowExpired: (checks.allowExpired ?? false) || options.insecure,
    now: options.now ?? new Date(),
  });
  return { release, text, url };
}

async function loadRepository(repository: AptRepository, options: LoadAptIndexOptions, pool: StringPool) {
  const base = `${repository.uri}/dists/${repository.suite}`;
  const { release, url: inReleaseUrl } = await loadRelease(repository, options);
  const entries: PackageCandidate[] = [];
  for (const component of repository.components) {
    const stem = `${component}/binary-${options.architecture}/Packages`;
    const pick = ['.xz', '.gz', ''].map((ext) => stem + ext).find((p) => release.sha256.has(p));
    if (!pick)
      throw new ReleaseError(`${inReleaseUrl} lists no ${stem}{.xz,.gz,}`, { path: inReleaseUrl, value: stem });
    const { sha256, size } = release.sha256.get(pick)!;
    const url = release.acquireByHash
      ? `${base}/${component}/binary-${options.architecture}/by-hash/SHA256/${sha256}`
      : `${base}/${pick}`;
    const file = join(options.cacheDir, 'indexes', `${sha256}${pick.slice(stem.length)}`);
    await mkdir(join(options.cacheDir, 'indexes'), { recursive: true });
    await downloadIndex(url, `${base}/${pick}`, file, sha256, size, options.signal);
    const index = { mirror: repository.uri, origin: repository.suite, where: `${base}/${pick}` };
    for (const candidate of await indexCandidates(file, pick, index, options.architecture, pool))
      entries.push(candidate);
  }
  return { repository, release, url: inReleaseUrl, entries };
}

/**
 * The candidates of a verified `Packages` file for `architecture`. Decompressing and scanning ~65,000
 * paragraphs costs seconds, so the fields resolution needs are kept beside the file
 * (`<sha256>.<ROWS_LAYOUT>`, keyed by the same signed digest), one paragraph a line, and read back
 * line by line; a cache that does not read back whole is made again. Either way the index streams:
 * only the candidates (small, see `AptCandidate`) outlive a chunk.
 */
async function indexCandidates(
  file: string,
  name: string,
  index: Omit<AptIndexFile, 'rowsFile'>,
  architecture: string,
  pool: StringPool,
): Promise<AptCandidate[]> {
  const rowsFile = `${file}.${ROWS_LAYOUT}`;
  const indexFile: AptIndexFile = { ...index, rowsFile };
  const candidates: AptCandidate[] = [];
  const add = (fields: PackagesRow, position: number, length: number) => {
    const arch = fields[FIELD_INDEX.Architecture] ?? 'all';
    if (arch === architecture || arch === 'all')
      candidates.push(new AptCandidate(fields, indexFile, position, length, pool));
  };
  // Our errors (a paragraph without a Package) are the index's; any other means a damaged cache.
  const cached = await readCachedRows(rowsFile, add).catch((error: unknown) => {
    if (error instanceof BootstrapError) throw error;
    return false;
  });
  if (cached) return candidates;
  candidates.length = 0;
  await writeRowsCache(file, name, indexFile.where, rowsFile, add);
  return candidates;
}

/** Feeds `add` the rows of a cached index; false when it is missing or not whole (ends with `[count]`). */
async function readCachedRows(
  rowsFile: string,
  add: (fields: PackagesRow, position: number, length: number) => void,
): Promise<boolean> {
  let count = 0;
  let end: number | undefined;
  await forEachLine(createReadStream(rowsFile), (buffer, start, stop, position) => {
    if (end !== undefined) throw new Error('rows after the count');
    const fields = JSON.parse(buffer.toString('utf8', start, stop)) as PackagesRow | [number];
    if (fields.length === 1) {
      end = fields[0] as number;
      return;
    }
    if (fields.length !== PACKAGES_FIELDS.length) throw new Error('a row of another layout');
    count++;
    add(fields as PackagesRow, position, stop - start);
  });
  return end === count;
}

/**
 * Scans the `Packages` file as it decompresses, passes each row to `add` (with where its line will
 * be) and writes the rows (`PACKAGES_FIELDS` as JSON arrays, one a line, then `[count]`) to
 * `rowsFile`, atomically: only a chunk's rows are held at a time.
 */
async function writeRowsCache(
  file: string,
  name: string,
  where: string,
  rowsFile: string,
  add: (fields: PackagesRow, position: number, length: number) => void,
): Promise<void> {
  const temp = `${rowsFile}.partial-${process.pid}`;
  const out = await open(temp, 'w');
  try {
    let pending = '';
    let count = 0;
    let position = 0;
    await scanPackages(
      decompress(createReadStream(file), compressionOfFileName(name), { origin: file }),
      where,
      (fields) => {
        const row = JSON.stringify(fields);
        const length = Buffer.byteLength(row);
        add(fields, position, length);
        pending += `${row}\n`;
        position += length + 1;
        count++;
      },
      async () => {
        const text = pending;
        pending = '';
        if (text) await out.write(text);
      },
    );
    await out.write(`${pending}[${count}]\n`);
    await out.close();
    await rename(temp, rowsFile);
    // Earlier releases' caches of the same index (one JSON array of all rows): never read again.
    for (const legacy of LEGACY_ROWS) await rm(`${file}.${legacy}`, { force: true });
  } catch (error) {
    await out.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

async function downloadIndex(
  url: string,
  plainUrl: string,
  file: string,
  sha256: string,
  size: number,
  signal?: AbortSignal,
) {
  // Cached files were verified before their rename; check again that nobody changed them since.
  if (
    await stat(file).then(
      () => true,
      () => false,
    )
  ) {
    if ((await sha256File(file)) === sha256) return;
    await rm(file, { force: true });
    await rm(`${file}.${ROWS_LAYOUT}`, { force: true });
  }
  try {
    await downloadVerified(url, file, { sha256, size, ...(signal ? { signal } : {}) });
  } catch (error) {
    // Mirrors that advertise by-hash but lack the file (file:// copies) get the plain path.
    if (url === plainUrl || (error as { code?: string }).code !== 'ERR_BOOTSTRAP_FETCH') throw error;
    await downloadVerified(plainUrl, file, { sha256, size, ...(signal ? { signal } : {}) });
  }
}

/** Names the cache of an index's rows: a cache of another field list or format is never read as this one. */
const ROWS_LAYOUT = `rows-${PACKAGES_FIELDS.length}.jsonl`;
const LEGACY_ROWS = ['rows.json', 'rows-14.json'];

/** Extracts the text of a clear-signed message without checking it (insecure mode only). */
function stripClearsign(text: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const body = text.slice(text.indexOf('\n\n') + 2);
  const end = body.indexOf('\n-----BEGIN PGP SIGNATURE-----');
  if (end < 0) throw new SignatureError('malformed clear-signed InRelease');
  return body.slice(0, end).replace(/^- /gm, '');
}
