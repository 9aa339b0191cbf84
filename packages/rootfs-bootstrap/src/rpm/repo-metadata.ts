import { repodataXmlParser, type XmlNode } from './repodata-xml.js';
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readDecompressed } from '../read-decompressed.js';
import type * as openpgp from 'openpgp';
import { parseComps, type CompsData } from './comps-groups.js';
import { DigestMismatchError, FetchError, ReleaseError, RpmSourceError, SignatureError } from '../errors.js';
import { verifyDetached, type GpgVerification } from '../gpg-verify.js';
import { fetchBytes } from '../fetch-resource.js';
import { checkRepomdRevision } from './repomd-revision.js';
import type { RpmCandidate, RpmProvide, RpmRequire } from './candidate.js';
import { parseRpmDep, type RpmDep } from './rich-deps.js';
import { formatRpmEvr, type RpmOperator } from './version.js';

const FLAGS: Record<string, RpmOperator> = { EQ: '=', LT: '<', LE: '<=', GT: '>', GE: '>=' };
const HASHES: Record<string, string> = {
  sha: 'sha1',
  sha1: 'sha1',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};

/** A repository base URL from `https://…`, `file:///…` or a plain path. */
export function repositoryBaseUrl(location: string): string {
  const url = /^[a-z][a-z0-9+.-]*:/i.test(location)
    ? location
    : pathToFileURL(isAbsolute(location) ? location : resolve(location)).href;
  return url.endsWith('/') ? url : `${url}/`;
}

const parser = repodataXmlParser(['package', 'rpm:entry', 'file', 'data']);

/** What a repository's metadata yields. */
export interface RpmRepositoryIndex {
  candidates: RpmCandidate[];
  /** Groups from the `group` (comps.xml) metadata, checksum verified; empty when it has none. */
  comps: CompsData;
  /** The check of `repodata/repomd.xml.asc` (when `gpg` was given). */
  signature?: GpgVerification;
  /** repomd.xml's `revision`, when it states one. */
  revision?: string;
}

/** How to check `repomd.xml.asc`: against `keys`; `require` refuses a repository without a valid signature. */
export interface RepomdGpgCheck {
  mode: 'report' | 'require';
  keys: readonly openpgp.Key[];
}

/**
 * Loads a yum/dnf repository: `repodata/repomd.xml` (with `gpg`: its detached signature
 * `repomd.xml.asc` checked first, so every checksum below is vouched for by a key), then
 * `primary.xml[.gz|.xz|.zst]` checked against the checksum repomd.xml states, as candidates whose
 * `sha256` is the package checksum (verified when the package is fetched). `filelists` (checked the
 * same way) is read only when a file dependency names a path that primary.xml's short file lists
 * (`/etc`, `*bin/`) lack; `group` (comps.xml) is read when present.
 */
export async function loadRpmRepository(
  location: string,
  options: {
    origin: string;
    signal?: AbortSignal;
    gpg?: RepomdGpgCheck /** Lowest acceptable repomd.xml `revision` (see checkRepomdRevision). */;
    minRevision?: number;
  },
): Promise<RpmRepositoryIndex> {
  const base = repositoryBaseUrl(location);
  const fetchOptions = options.signal ? { signal: options.signal } : {};
  const repomdUrl = `${base}repodata/repomd.xml`;
  const repomdBytes = await fetchBytes(repomdUrl, fetchOptions);
  const signature = options.gpg
    ? await checkRepomdSignature(repomdUrl, repomdBytes, options.gpg, fetchOptions)
    : undefined;
  const repomd = parser.parse(repomdBytes.toString('utf8')) as XmlNode;
  const revisionNode = (repomd.repomd as XmlNode | undefined)?.revision;
  const revision = typeof revisionNode === 'string' && revisionNode !== '' ? revisionNode : undefined;
  checkRepomdRevision(revision, repomdUrl, options.minRevision);
  const data = ((repomd.repomd as XmlNode | undefined)?.data ?? []) as XmlNode[];
  const primary = data.find((d) => d.type === 'primary');
  if (!primary)
    throw new ReleaseError(`${base}repodata/repomd.xml lists no primary metadata`, {
      path: `${base}repodata/repomd.xml`,
    });
  const primaryXml = parser.parse((await fetchMetadata(primary, base, fetchOptions)).toString('utf8')) as XmlNode;
  const packages = ((primaryXml.metadata as XmlNode | undefined)?.package ?? []) as XmlNode[];
  const candidates = packages
    .filter((p) => p.arch !== 'src' && p.arch !== 'nosrc')
    .map((p) => candidateFromPrimary(p, base, options.origin));
  const filelists = data.find((d) => d.type === 'filelists');
  if (filelists && needsFilelists(candidates)) {
    const xml = parser.parse((await fetchMetadata(filelists, base, fetchOptions)).toString('utf8')) as XmlNode;
    const byId = new Map(candidates.map((c) => [c.sha256, c]));
    for (const p of ((xml.filelists as XmlNode | undefined)?.package ?? []) as XmlNode[]) {
      const candidate = byId.get(String(p.pkgid));
      if (candidate) candidate.rpm.files = [...new Set([...candidate.rpm.files, ...fileNames(p.file)])];
    }
  }
  // createrepo_c -g lists comps.xml as `group` and compressed copies as `group_gz`/`group_xz`/`group_zst`.
  const group = ['group', 'group_gz', 'group_xz', 'group_zst']
    .map((type) => data.find((d) => d.type === type))
    .find(Boolean);
  const comps = group
    ? parseComps(
        (await fetchMetadata(group, base, fetchOptions)).toString('utf8'),
        new URL(String((group.location as XmlNode).href), base).href,
      )
    : { groups: [], environments: [] };
  return { candidates, comps, ...(signature ? { signature } : {}), ...(revision !== undefined ? { revision } : {}) };
}

/** Verifies `repomd.xml.asc` over the exact repomd.xml bytes; `require` refuses a missing or bad one. */
async function checkRepomdSignature(
  url: string,
  repomd: Buffer,
  gpg: RepomdGpgCheck,
  fetchOptions: { signal?: AbortSignal },
): Promise<GpgVerification> {
  const asc = await fetchBytes(`${url}.asc`, fetchOptions).catch((error: unknown) => {
    if (error instanceof FetchError) return undefined;
    throw error;
  });
  const result = await verifyDetached(repomd, asc ? [asc] : [], gpg.keys);
  if (gpg.mode === 'require' && !result.verified) {
    throw new SignatureError(
      `${url}.asc: ${result.reason ?? 'not verified'}${result.keyId ? ` (key ${result.keyId})` : ''}`,
      {
        path: `${url}.asc`,
        hint: "pass the repository's key with gpgKeys (--gpg-key FILE); gpgCheck report only reports",
      },
    );
  }
  return result;
}

/** Whether a file dependency is met by no file primary.xml lists (and no explicit provide). */
function needsFilelists(candidates: readonly RpmCandidate[]): boolean {
  const known = new Set(candidates.flatMap((c) => [...c.rpm.files, ...c.rpm.provides.map((p) => p.name)]));
  const paths = (dep: RpmDep): string[] => {
    if (dep.kind === 'cap') return dep.name.startsWith('/') ? [dep.name] : [];
    if ('args' in dep) return dep.args.flatMap(paths);
    return [dep.then, dep.condition, ...(dep.otherwise ? [dep.otherwise] : [])].flatMap(paths);
  };
  return candidates.some((c) =>
    [...c.rpm.requires.map((r) => r.dep), ...c.rpm.recommends].some((d) => paths(d).some((p) => !known.has(p))),
  );
}

/** Fetches one `repomd.xml` data entry and checks its checksum; returns it decompressed. */
async function fetchMetadata(entry: XmlNode, base: string, fetchOptions: { signal?: AbortSignal }): Promise<Buffer> {
  const href = String((entry.location as XmlNode).href);
  const checksum = entry.checksum as XmlNode;
  const algorithm = HASHES[String(checksum.type)];
  if (!algorithm)
    throw new ReleaseError(`repomd.xml: unknown checksum type ${String(checksum.type)}`, { value: checksum.type });
  const url = new URL(href, base).href;
  const compressed = await fetchBytes(url, fetchOptions);
  const actual = createHash(algorithm).update(compressed).digest('hex');
  if (actual !== String(checksum['#text']))
    throw new DigestMismatchError(url, String(checksum['#text']), actual, { path: url });
  return readDecompressed([compressed], href, url);
}

function fileNames(files: unknown): string[] {
  return ((files ?? []) as unknown[]).map((f) =>
    typeof f === 'object' && f !== null ? String((f as XmlNode)['#text']) : String(f),
  );
}

function candidateFromPrimary(p: XmlNode, base: string, origin: string): RpmCandidate {
  const version = p.version as XmlNode;
  const epoch = Number(version.epoch ?? 0);
  const evr = formatRpmEvr({ epoch, version: String(version.ver), release: String(version.rel) });
  const checksum = p.checksum as XmlNode;
  const name = String(p.name);
  if (checksum.type !== 'sha256') {
    throw new RpmSourceError(
      `${name}: the repository states a ${String(checksum.type)} package checksum; only sha256 is supported`,
      { value: checksum.type, hint: 'recreate the repository with createrepo_c (sha256 is its default)' },
    );
  }
  const format = (p.format ?? {}) as XmlNode;
  const entries = (kind: string): XmlNode[] =>
    ((format[`rpm:${kind}`] as XmlNode | undefined)?.['rpm:entry'] ?? []) as XmlNode[];
  const provideOf = (e: XmlNode): RpmProvide => {
    const operator = FLAGS[String(e.flags ?? '')];
    if (!operator || e.ver === undefined) return { name: String(e.name) };
    return {
      name: String(e.name),
      operator,
      evr: formatRpmEvr({
        epoch: Number(e.epoch ?? 0),
        version: String(e.ver),
        release: e.rel === undefined ? undefined : String(e.rel),
      }),
    };
  };
  const depOf = (e: XmlNode) => {
    const p = provideOf(e);
    return parseRpmDep(p.name, p.operator ?? '', p.evr ?? '');
  };
  const provides = entries('provides').map(provideOf);
  if (!provides.some((x) => x.name === name && x.evr === evr)) provides.push({ name, operator: '=', evr });
  const requires: RpmRequire[] = entries('requires')
    .filter((e) => !String(e.name).startsWith('rpmlib('))
    .map((e) => ({ dep: depOf(e), pre: e.pre === '1' || e.pre === 'true' }));
  const size = p.size as XmlNode;
  const locationNode = p.location as XmlNode;
  return {
    name,
    version: evr,
    architecture: String(p.arch),
    preDepends: [],
    depends: [],
    provides: provides.map((x) => ({ name: x.name, ...(x.evr ? { operator: '=' as const, version: x.evr } : {}) })),
    essential: false,
    priority: 'optional',
    multiArch: '',
    size: Number(size.package ?? 0),
    installedSize: Number(size.installed ?? 0),
    sha256: String(checksum['#text']),
    location: new URL(
      String(locationNode.href),
      locationNode['xml:base'] ? repositoryBaseUrl(String(locationNode['xml:base'])) : base,
    ).href,
    origin,
    rpm: {
      epoch,
      version: String(version.ver),
      release: String(version.rel),
      requires,
      provides,
      obsoletes: entries('obsoletes').map(provideOf),
      conflicts: entries('conflicts').map(provideOf),
      recommends: entries('recommends').map(depOf),
      files: fileNames(format.file),
      scriptlets: [], // primary.xml does not say; the headers do, once fetched
    },
  };
}
