import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AptRepository } from './apt-sources.js';
import { controlField, parseControlFile, type ControlParagraph } from './control-file.js';
import { compressionOf, streamToBuffer, withDecompressed } from './decompress.js';
import { ReleaseError, SignatureError } from './errors.js';
import { downloadVerified, fetchBytes } from './fetch-resource.js';
import type { PackageCandidate } from './package-candidate.js';
import { parseRelations, type Relation } from './relations.js';
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
}

/** One repository's verified metadata. */
export interface LoadedRepository {
  repository: AptRepository;
  release: ReleaseInfo;
  /** `Packages` paragraphs by component. */
  packageCount: number;
}

export interface AptIndex {
  candidates: PackageCandidate[];
  /** Control paragraphs by `name version` (for writing the dpkg status of unpacked packages). */
  paragraphs: ReadonlyMap<string, ControlParagraph>;
  repositories: LoadedRepository[];
}

/** Fetches, verifies and parses `InRelease` and `Packages` of every repository. */
export async function loadAptIndex(options: LoadAptIndexOptions): Promise<AptIndex> {
  const loaded = await Promise.all(options.repositories.map((repository) => loadRepository(repository, options)));
  const candidates: PackageCandidate[] = [];
  const paragraphs = new Map<string, ControlParagraph>();
  const repositories: LoadedRepository[] = [];
  for (const { repository, release, entries } of loaded) {
    for (const { candidate, paragraph } of entries) {
      candidates.push(candidate);
      paragraphs.set(`${candidate.name} ${candidate.version}`, paragraph);
    }
    repositories.push({ repository, release, packageCount: entries.length });
  }
  return { candidates, paragraphs, repositories };
}

async function loadRepository(repository: AptRepository, options: LoadAptIndexOptions) {
  const base = `${repository.uri}/dists/${repository.suite}`;
  const inReleaseUrl = `${base}/InRelease`;
  const raw = await fetchBytes(inReleaseUrl, { signal: options.signal });
  const keyring = repository.signedBy?.startsWith('/') ? repository.signedBy : options.keyring;
  const text = options.insecure ? stripClearsign(raw.toString('utf8')) : await verifyInRelease(raw, keyring, inReleaseUrl);
  const release = parseRelease(text, inReleaseUrl);
  const now = options.now ?? new Date();
  if (!options.insecure && release.validUntil && release.validUntil < now) {
    throw new ReleaseError(`${inReleaseUrl} expired on ${release.validUntil.toISOString()}`, { path: inReleaseUrl });
  }
  const entries: { candidate: PackageCandidate; paragraph: ControlParagraph }[] = [];
  for (const component of repository.components) {
    const stem = `${component}/binary-${options.architecture}/Packages`;
    const pick = ['.xz', '.gz', ''].map((ext) => stem + ext).find((p) => release.sha256.has(p));
    if (!pick) throw new ReleaseError(`${inReleaseUrl} lists no ${stem}{.xz,.gz,}`, { path: inReleaseUrl, value: stem });
    const { sha256, size } = release.sha256.get(pick)!;
    const url = release.acquireByHash
      ? `${base}/${component}/binary-${options.architecture}/by-hash/SHA256/${sha256}`
      : `${base}/${pick}`;
    const file = join(options.cacheDir, 'indexes', `${sha256}${pick.slice(stem.length)}`);
    await mkdir(join(options.cacheDir, 'indexes'), { recursive: true });
    await downloadIndex(url, `${base}/${pick}`, file, sha256, size, options.signal);
    const data = await withDecompressed(compressionOf(pick), createReadStream(file), streamToBuffer, file);
    const origin = repository.suite;
    for (const paragraph of parseControlFile(data.toString('utf8'), `${base}/${pick}`)) {
      const candidate = toCandidate(paragraph, repository.uri, origin, `${base}/${pick}`);
      if (candidate.architecture !== options.architecture && candidate.architecture !== 'all') continue;
      entries.push({ candidate, paragraph });
    }
  }
  return { repository, release, entries };
}

async function downloadIndex(url: string, plainUrl: string, file: string, sha256: string, size: number, signal?: AbortSignal) {
  const { stat } = await import('node:fs/promises');
  if (await stat(file).then(() => true, () => false)) return; // cached files were verified before the rename
  try {
    await downloadVerified(url, file, { sha256, size, ...(signal ? { signal } : {}) });
  } catch (error) {
    // Mirrors that advertise by-hash but lack the file (file:// copies) get the plain path.
    if (url === plainUrl || (error as { code?: string }).code !== 'ERR_BOOTSTRAP_FETCH') throw error;
    await downloadVerified(plainUrl, file, { sha256, size, ...(signal ? { signal } : {}) });
  }
}

function toCandidate(p: ControlParagraph, mirror: string, origin: string, where: string): PackageCandidate {
  const name = p.Package;
  const version = p.Version;
  const filename = p.Filename;
  const sha256 = p.SHA256;
  if (!name || !version || !filename || !sha256) {
    throw new ReleaseError(`${where}: paragraph without Package, Version, Filename or SHA256`, { path: where, value: name });
  }
  const context = `${where}: ${name}`;
  const provides: Relation[] = parseRelations(p.Provides, context).flatMap((group) => group);
  return {
    name,
    version,
    architecture: p.Architecture ?? 'all',
    preDepends: parseRelations(p['Pre-Depends'], context),
    depends: parseRelations(p.Depends, context),
    provides,
    essential: (controlField(p, 'Essential') ?? '').toLowerCase() === 'yes',
    priority: (p.Priority ?? 'optional').toLowerCase(),
    multiArch: (p['Multi-Arch'] ?? 'no').toLowerCase(),
    size: Number(p.Size ?? 0),
    installedSize: Number(p['Installed-Size'] ?? 0) * 1024,
    sha256: sha256.toLowerCase(),
    location: `${mirror}/${filename}`,
    origin,
  };
}

/** Extracts the text of a clear-signed message without checking it (insecure mode only). */
function stripClearsign(text: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const body = text.slice(text.indexOf('\n\n') + 2);
  const end = body.indexOf('\n-----BEGIN PGP SIGNATURE-----');
  if (end < 0) throw new SignatureError('malformed clear-signed InRelease');
  return body.slice(0, end).replace(/^- /gm, '');
}
