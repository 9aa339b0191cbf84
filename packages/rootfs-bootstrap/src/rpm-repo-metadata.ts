import { XMLParser } from 'fast-xml-parser';
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { compressionOf, streamToBuffer, withDecompressed } from './decompress.js';
import { DigestMismatchError, ReleaseError, RpmSourceError } from './errors.js';
import { fetchBytes } from './fetch-resource.js';
import type { RpmCandidate, RpmProvide, RpmRequire } from './rpm-candidate.js';
import { parseRpmDep, type RpmDep } from './rpm-rich-deps.js';
import { formatRpmEvr, type RpmOperator } from './rpm-version.js';

const FLAGS: Record<string, RpmOperator> = { EQ: '=', LT: '<', LE: '<=', GT: '>', GE: '>=' };
const HASHES: Record<string, string> = { sha: 'sha1', sha1: 'sha1', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/** A repository base URL from `https://…`, `file:///…` or a plain path. */
export function repositoryBaseUrl(location: string): string {
  const url = /^[a-z][a-z0-9+.-]*:/i.test(location) ? location : pathToFileURL(isAbsolute(location) ? location : resolve(location)).href;
  return url.endsWith('/') ? url : `${url}/`;
}

// fast-xml-parser: a small, dependency-light, widely used parser; primary.xml is plain data
// (no DTDs, no entities beyond the XML five), so a non-validating parser is enough.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'package' || name === 'rpm:entry' || name === 'file' || name === 'data',
});

type XmlNode = Record<string, unknown>;

/**
 * Loads a yum/dnf repository: `repodata/repomd.xml`, then `primary.xml[.gz|.xz|.zst]` checked
 * against the checksum and size repomd.xml states, as candidates whose `sha256` is the package
 * checksum (verified when the package is fetched). `filelists` (checked the same way) is read only
 * when a file dependency names a path that primary.xml's short file lists (`/etc`, `*bin/`) lack.
 */
export async function loadRpmRepository(location: string, options: { origin: string; signal?: AbortSignal }): Promise<RpmCandidate[]> {
  const base = repositoryBaseUrl(location);
  const fetchOptions = options.signal ? { signal: options.signal } : {};
  const repomd = parser.parse((await fetchBytes(`${base}repodata/repomd.xml`, fetchOptions)).toString('utf8')) as XmlNode;
  const data = ((repomd.repomd as XmlNode | undefined)?.data ?? []) as XmlNode[];
  const primary = data.find((d) => d.type === 'primary');
  if (!primary) throw new ReleaseError(`${base}repodata/repomd.xml lists no primary metadata`, { path: `${base}repodata/repomd.xml` });
  const primaryXml = await fetchMetadata(primary, base, fetchOptions);
  const packages = ((primaryXml.metadata as XmlNode | undefined)?.package ?? []) as XmlNode[];
  const candidates = packages.filter((p) => p.arch !== 'src' && p.arch !== 'nosrc').map((p) => candidateFromPrimary(p, base, options.origin));
  const filelists = data.find((d) => d.type === 'filelists');
  if (filelists && needsFilelists(candidates)) {
    const xml = await fetchMetadata(filelists, base, fetchOptions);
    const byId = new Map(candidates.map((c) => [c.sha256, c]));
    for (const p of ((xml.filelists as XmlNode | undefined)?.package ?? []) as XmlNode[]) {
      const candidate = byId.get(String(p.pkgid));
      if (candidate) candidate.rpm.files = [...new Set([...candidate.rpm.files, ...fileNames(p.file)])];
    }
  }
  return candidates;
}

/** Whether a file dependency is met by no file primary.xml lists (and no explicit provide). */
function needsFilelists(candidates: readonly RpmCandidate[]): boolean {
  const known = new Set(candidates.flatMap((c) => [...c.rpm.files, ...c.rpm.provides.map((p) => p.name)]));
  const paths = (dep: RpmDep): string[] => {
    if (dep.kind === 'cap') return dep.name.startsWith('/') ? [dep.name] : [];
    if ('args' in dep) return dep.args.flatMap(paths);
    return [dep.then, dep.condition, ...(dep.otherwise ? [dep.otherwise] : [])].flatMap(paths);
  };
  return candidates.some((c) => [...c.rpm.requires.map((r) => r.dep), ...c.rpm.recommends].some((d) => paths(d).some((p) => !known.has(p))));
}

/** Fetches one `repomd.xml` data entry, checks its checksum and parses it. */
async function fetchMetadata(entry: XmlNode, base: string, fetchOptions: { signal?: AbortSignal }): Promise<XmlNode> {
  const href = String((entry.location as XmlNode).href);
  const checksum = entry.checksum as XmlNode;
  const algorithm = HASHES[String(checksum.type)];
  if (!algorithm) throw new ReleaseError(`repomd.xml: unknown checksum type ${String(checksum.type)}`, { value: checksum.type });
  const url = new URL(href, base).href;
  const compressed = await fetchBytes(url, fetchOptions);
  const actual = createHash(algorithm).update(compressed).digest('hex');
  if (actual !== String(checksum['#text'])) throw new DigestMismatchError(url, String(checksum['#text']), actual, { path: url });
  const xml = await withDecompressed(compressionOf(href), Readable.from([compressed]), streamToBuffer, url);
  return parser.parse(xml.toString('utf8')) as XmlNode;
}

function fileNames(files: unknown): string[] {
  return ((files ?? []) as unknown[]).map((f) => (typeof f === 'object' && f !== null ? String((f as XmlNode)['#text']) : String(f)));
}

function candidateFromPrimary(p: XmlNode, base: string, origin: string): RpmCandidate {
  const version = p.version as XmlNode;
  const epoch = Number(version.epoch ?? 0);
  const evr = formatRpmEvr({ epoch, version: String(version.ver), release: String(version.rel) });
  const checksum = p.checksum as XmlNode;
  const name = String(p.name);
  if (checksum.type !== 'sha256') {
    throw new RpmSourceError(`${name}: the repository states a ${String(checksum.type)} package checksum; only sha256 is supported`, { value: checksum.type, hint: 'recreate the repository with createrepo_c (sha256 is its default)' });
  }
  const format = (p.format ?? {}) as XmlNode;
  const entries = (kind: string): XmlNode[] => (((format[`rpm:${kind}`] as XmlNode | undefined)?.['rpm:entry'] ?? []) as XmlNode[]);
  const provideOf = (e: XmlNode): RpmProvide => {
    const operator = FLAGS[String(e.flags ?? '')];
    if (!operator || e.ver === undefined) return { name: String(e.name) };
    return { name: String(e.name), operator, evr: formatRpmEvr({ epoch: Number(e.epoch ?? 0), version: String(e.ver), release: e.rel === undefined ? undefined : String(e.rel) }) };
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
    location: new URL(String(locationNode.href), locationNode['xml:base'] ? repositoryBaseUrl(String(locationNode['xml:base'])) : base).href,
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
