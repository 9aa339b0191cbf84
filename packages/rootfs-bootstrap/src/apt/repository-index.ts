import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { sha256File } from '@distroforge/core';
import { join } from 'node:path';
import type { AptRepository } from './sources-list.js';
import { readDecompressed } from '../read-decompressed.js';
import { ControlSyntaxError, ReleaseError, SignatureError } from '../errors.js';
import { checkReleaseAcceptable } from './release-acceptance.js';
import { downloadVerified, fetchBytes } from '../fetch-resource.js';
import type { PackageCandidate } from '../package-candidate.js';
import { parseRelations, type Relation, type RelationField } from '../relations.js';
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
  const loaded = await Promise.all(options.repositories.map((repository) => loadRepository(repository, options)));
  const candidates: PackageCandidate[] = [];
  const repositories: LoadedRepository[] = [];
  for (const { repository, release, url, entries } of loaded) {
    for (const candidate of entries) candidates.push(candidate);
    repositories.push({ repository, release, url, packageCount: entries.length });
  }
  return { candidates, repositories };
}

/** A repository's `InRelease`: fetched, its signature verified, parsed, checked for expiry. */
export async function loadRelease(
  repository: AptRepository,
  options: Omit<LoadAptIndexOptions, 'repositories' | 'architecture' | 'cacheDir'>,
): Promise<{ release: ReleaseInfo; text: string; url: string }> {
  const url = `${repository.uri}/dists/${repository.suite}/InRelease`;
  const raw = await fetchBytes(url, { signal: options.signal });
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

async function loadRepository(repository: AptRepository, options: LoadAptIndexOptions) {
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
    const where = `${base}/${pick}`;
    for (const row of await indexRows(file, pick, where)) {
      const arch = row[FIELD.Architecture] ?? 'all';
      if (arch !== options.architecture && arch !== 'all') continue;
      entries.push(new AptCandidate(row, repository.uri, repository.suite, where));
    }
  }
  return { repository, release, url: inReleaseUrl, entries };
}

/**
 * The resolution fields of every paragraph of a verified `Packages` file. Decompressing and scanning
 * ~65,000 paragraphs costs seconds, so the result is kept beside the file (`<sha256>.rows-N.json`, N the number of fields),
 * keyed by the same signed digest, as positional rows (compact to store, parse and hold).
 */
async function indexRows(file: string, name: string, where: string): Promise<Row[]> {
  // The name carries the row layout: a cache of another FIELDS list is never read as this one.
  const digest = `${file}.${ROWS_LAYOUT}.json`;
  const cached = await readFile(digest, 'utf8').then(
    (t) => JSON.parse(t) as Row[],
    () => undefined,
  );
  if (cached) return cached;
  const data = await readDecompressed(createReadStream(file), name, file);
  const rows = [...scanPackages(data.toString('utf8'), where)].map((fields) => FIELDS.map((f) => fields[f] ?? null));
  const temp = `${digest}.partial-${process.pid}`;
  await writeFile(temp, JSON.stringify(rows));
  await rename(temp, digest);
  return rows;
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
    await rm(`${file}.${ROWS_LAYOUT}.json`, { force: true });
  }
  try {
    await downloadVerified(url, file, { sha256, size, ...(signal ? { signal } : {}) });
  } catch (error) {
    // Mirrors that advertise by-hash but lack the file (file:// copies) get the plain path.
    if (url === plainUrl || (error as { code?: string }).code !== 'ERR_BOOTSTRAP_FETCH') throw error;
    await downloadVerified(plainUrl, file, { sha256, size, ...(signal ? { signal } : {}) });
  }
}

/** The `Packages` fields resolution needs, in the order of a cached row. */
const FIELDS = [
  'Package',
  'Version',
  'Architecture',
  'Depends',
  'Pre-Depends',
  'Provides',
  'Essential',
  'Priority',
  'Multi-Arch',
  'Size',
  'Installed-Size',
  'SHA256',
  'Filename',
  'Recommends',
] as const;
const ROWS_LAYOUT = `rows-${FIELDS.length}`;
const FIELD = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as Record<(typeof FIELDS)[number], number>;
const WANTED = new Set<string>(FIELDS);
type Row = (string | null)[];

/**
 * Scans a `Packages` file for the fields resolution needs only. Faster and far leaner than
 * `parseControlFile` on ~65,000 paragraphs; relation fields are parsed later, on first use.
 */
function* scanPackages(text: string, where: string): Generator<Record<string, string>> {
  let fields: Record<string, string> = {};
  let last: string | undefined;
  let any = false;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const first = text.charCodeAt(start);
    if (end === start || (end === start + 1 && first === 0x0d)) {
      if (any) yield fields;
      fields = {};
      any = false;
      last = undefined;
    } else if (first === 0x20 || first === 0x09) {
      if (last !== undefined) fields[last] += ` ${text.slice(start + 1, end).trim()}`;
    } else {
      const colon = text.indexOf(':', start);
      if (colon === -1 || colon > end)
        throw new ControlSyntaxError(`${where}: expected "Field: value"`, { value: text.slice(start, end) });
      const key = text.slice(start, colon);
      any = true;
      if (WANTED.has(key)) {
        fields[key] = text.slice(colon + 1, end).trim();
        last = key;
      } else {
        last = undefined;
      }
    }
    start = end + 1;
  }
  if (any) yield fields;
}

/** A candidate from an apt `Packages` paragraph; relation fields are parsed on first access. */
class AptCandidate implements PackageCandidate {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly essential: boolean;
  readonly priority: string;
  readonly multiArch: string;
  readonly size: number;
  readonly installedSize: number;
  readonly sha256: string;
  readonly location: string;
  readonly origin: string;
  #raw: { depends?: string; preDepends?: string; recommends?: string; provides?: string; where: string };
  #depends?: RelationField;
  #recommends?: RelationField;
  #preDepends?: RelationField;
  #provides?: Relation[];

  constructor(row: Row, mirror: string, origin: string, where: string) {
    const p = (field: (typeof FIELDS)[number]): string | undefined => row[FIELD[field]] ?? undefined;
    const [name, version, filename, sha256] = [p('Package'), p('Version'), p('Filename'), p('SHA256')];
    if (!name || !version || !filename || !sha256) {
      throw new ReleaseError(`${where}: paragraph without Package, Version, Filename or SHA256`, {
        path: where,
        value: name,
      });
    }
    this.name = name;
    this.version = version;
    this.architecture = p('Architecture') ?? 'all';
    this.essential = (p('Essential') ?? '').toLowerCase() === 'yes';
    this.priority = (p('Priority') ?? 'optional').toLowerCase();
    this.multiArch = (p('Multi-Arch') ?? 'no').toLowerCase();
    this.size = Number(p('Size') ?? 0);
    this.installedSize = Number(p('Installed-Size') ?? 0) * 1024;
    this.sha256 = sha256.toLowerCase();
    this.location = `${mirror}/${filename}`;
    this.origin = origin;
    this.#raw = {
      depends: p('Depends'),
      preDepends: p('Pre-Depends'),
      recommends: p('Recommends'),
      provides: p('Provides'),
      where: `${where}: ${name}`,
    };
  }

  get depends(): RelationField {
    return (this.#depends ??= parseRelations(this.#raw.depends, this.#raw.where));
  }

  get preDepends(): RelationField {
    return (this.#preDepends ??= parseRelations(this.#raw.preDepends, this.#raw.where));
  }

  get recommends(): RelationField {
    return (this.#recommends ??= parseRelations(this.#raw.recommends, this.#raw.where));
  }

  get provides(): Relation[] {
    return (this.#provides ??= parseRelations(this.#raw.provides, this.#raw.where).flat());
  }
}

/** Extracts the text of a clear-signed message without checking it (insecure mode only). */
function stripClearsign(text: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const body = text.slice(text.indexOf('\n\n') + 2);
  const end = body.indexOf('\n-----BEGIN PGP SIGNATURE-----');
  if (end < 0) throw new SignatureError('malformed clear-signed InRelease');
  return body.slice(0, end).replace(/^- /gm, '');
}
