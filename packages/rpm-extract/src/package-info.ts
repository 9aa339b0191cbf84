import { readDependencies } from './dependencies.js';
import { rpmError } from './errors.js';
import { fileDigestAlgorithm, readFileList } from './file-list.js';
import { describeSignature } from './openpgp-signature.js';
import type { PackageHeaders } from './read-package-headers.js';
import { readScriptlets } from './scriptlets.js';
import { hashAlgorithms, SenseFlag, Tag } from './tags.js';
import type { RpmDependency, RpmPackage, RpmSignature } from './types.js';

/** Turns the parsed headers into the typed package description. */
export function packageInfo(headers: PackageHeaders, payloadOffset: number): RpmPackage {
  const { tags, sigTags, lead } = headers;
  const name = required(tags.string(Tag.Name), 'NAME');
  const version = required(tags.string(Tag.Version), 'VERSION');
  const release = required(tags.string(Tag.Release), 'RELEASE');
  const epoch = tags.number(Tag.Epoch);
  // Headers without an immutable region predate rpm 4; rpm retrofits them as it reads (v3 packages).
  const legacyHeader = !tags.has(Tag.HeaderImmutable);
  const isSource =
    lead.type === 'source' || tags.has(Tag.SourcePackage) || (lead.major === 3 && !tags.has(Tag.SourceRpm));
  const arch = tags.string(Tag.Arch) ?? '';
  const digestId = tags.number(Tag.PayloadDigestAlgo);
  const payloadDigest = tags.strings(Tag.PayloadDigest)?.[0];
  const compressor = tags.string(Tag.PayloadCompressor);
  return {
    lead,
    name,
    epoch,
    version,
    release,
    arch,
    nevra: `${name}-${epoch === undefined ? '' : `${epoch}:`}${version}-${release}.${isSource ? 'src' : arch}`,
    summary: tags.string(Tag.Summary) ?? '',
    description: tags.string(Tag.Description) ?? '',
    license: tags.string(Tag.License) ?? '',
    url: tags.string(Tag.Url) ?? '',
    vendor: tags.string(Tag.Vendor) ?? '',
    packager: tags.string(Tag.Packager) ?? '',
    group: tags.string(Tag.Group) ?? '',
    buildTime: tags.number(Tag.BuildTime) ?? 0,
    buildHost: tags.string(Tag.BuildHost) ?? '',
    sourceRpm: tags.string(Tag.SourceRpm) ?? '',
    isSource,
    size: tags.number(Tag.LongSize) ?? tags.number(Tag.Size),
    requires: readDependencies(tags, Tag.RequireName, Tag.RequireFlags, Tag.RequireVersion),
    provides: withSelfProvide(
      readDependencies(tags, Tag.ProvideName, Tag.ProvideFlags, Tag.ProvideVersion),
      legacyHeader && !isSource,
      name,
      epoch,
      version,
      release,
    ),
    conflicts: readDependencies(tags, Tag.ConflictName, Tag.ConflictFlags, Tag.ConflictVersion),
    obsoletes: readDependencies(tags, Tag.ObsoleteName, Tag.ObsoleteFlags, Tag.ObsoleteVersion),
    recommends: readDependencies(tags, Tag.RecommendName, Tag.RecommendFlags, Tag.RecommendVersion),
    suggests: readDependencies(tags, Tag.SuggestName, Tag.SuggestFlags, Tag.SuggestVersion),
    supplements: readDependencies(tags, Tag.SupplementName, Tag.SupplementFlags, Tag.SupplementVersion),
    enhances: readDependencies(tags, Tag.EnhanceName, Tag.EnhanceFlags, Tag.EnhanceVersion),
    files: readFileList(tags, headers.header.raw.length),
    fileDigestAlgorithm: fileDigestAlgorithm(tags),
    scripts: readScriptlets(tags),
    payload: {
      format: tags.string(Tag.PayloadFormat) ?? 'cpio',
      compressor,
      flags: tags.string(Tag.PayloadFlags),
      digest:
        payloadDigest === undefined
          ? undefined
          : { algorithm: hashAlgorithms[digestId ?? 8] ?? `algorithm-${digestId}`, value: payloadDigest },
      archiveSize:
        sigTags.number(Tag.LongArchiveSize) ?? sigTags.number(Tag.SigPayloadSize) ?? tags.number(Tag.ArchiveSize),
      large: tags.has(Tag.LongFileSizes),
    },
    digests: {
      headerSha1: sigTags.string(Tag.Sha1Header),
      headerSha256: sigTags.string(Tag.Sha256Header),
      md5: sigTags.binary(Tag.SigMd5)?.toString('hex'),
      size: sigTags.number(Tag.LongSigSize) ?? sigTags.number(Tag.SigSize),
    },
    signatures: readSignatures(headers),
    payloadOffset,
    legacyHeader,
    headerTags: headers.header.entries,
    signatureTags: headers.signature.entries,
  };
}

function required(value: string | undefined, tag: string): string {
  if (value === undefined) throw rpmError('ERR_RPM_BAD_HEADER', `header has no ${tag} tag`, { value: tag });
  return value;
}

function readSignatures({ sigTags }: PackageHeaders): RpmSignature[] {
  const found: RpmSignature[] = [];
  const sources: Array<[RpmSignature['tag'], number]> = [
    ['rsa', Tag.RsaHeader],
    ['dsa', Tag.DsaHeader],
    ['pgp', Tag.SigPgp],
    ['gpg', Tag.SigGpg],
  ];
  for (const [tag, number] of sources) {
    const packet = sigTags.has(number) ? sigTags.binary(number) : undefined;
    const described = packet && describeSignature(tag, packet);
    if (described) found.push(described);
  }
  return found;
}

/** rpm adds `name = [epoch:]version-release` to the provides of legacy (v3) binary headers; so do we. */
function withSelfProvide(
  provides: RpmDependency[],
  add: boolean,
  name: string,
  epoch: number | undefined,
  version: string,
  release: string,
): RpmDependency[] {
  if (!add) return provides;
  const evr = `${epoch === undefined ? '' : `${epoch}:`}${version}-${release}`;
  return [...provides, { name, comparison: '=', version: evr, flags: SenseFlag.equal }];
}
