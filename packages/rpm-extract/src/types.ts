import type { HeaderEntry } from './parse-header.js';
import type { RpmLead } from './read-package-headers.js';

export type { RpmLead, HeaderEntry };

/** A dependency (requires, provides, ...) as rpm stores it. */
export interface RpmDependency {
  name: string;
  /** `<`, `<=`, `=`, `>=`, `>` or `` when unversioned. */
  comparison: '' | '<' | '<=' | '=' | '>=' | '>';
  /** `[epoch:]version[-release]`, or `` when unversioned. */
  version: string;
  /** The raw rpmsenseFlags (pre/post/rpmlib/... bits included). */
  flags: number;
}

export type RpmFileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** One file of the package, from the header. */
export interface RpmFile {
  /** As rpm prints it: absolute for binary packages, a bare name in source packages. */
  path: string;
  type: RpmFileType;
  size: number;
  /** Full st_mode (type and permission bits). */
  mode: number;
  mtime: number;
  /** Hex digest of the contents, `` for non-regular files. */
  digest: string;
  /** Symlink target, `` when not a symlink. */
  linkTo: string;
  user: string;
  group: string;
  /** Raw rpmfileAttrs bits; the booleans below decode the common ones. */
  flags: number;
  config: boolean;
  doc: boolean;
  ghost: boolean;
  license: boolean;
  missingOk: boolean;
  noReplace: boolean;
  rdev: number;
  major: number;
  minor: number;
  inode: number;
  /** File capabilities in text form (`cap_net_raw=ep`), `` when none. */
  caps: string;
  lang: string;
}

export type RpmScriptletName =
  | 'pretrans'
  | 'prein'
  | 'postin'
  | 'preun'
  | 'postun'
  | 'posttrans'
  | 'preuntrans'
  | 'postuntrans'
  | 'verify';

/** A scriptlet: its interpreter (argv) and body (absent for interpreter-only scriptlets such as `-p /sbin/ldconfig`). */
export interface RpmScriptlet {
  interpreter: string[];
  body: string | undefined;
}

/** A signature found in the signature header (reported, not cryptographically verified). */
export interface RpmSignature {
  /** Which signature tag holds it: `rsa`/`dsa` over the header, `pgp`/`gpg` over header+payload. */
  tag: 'rsa' | 'dsa' | 'pgp' | 'gpg';
  /** OpenPGP signature packet version (3, 4 or 6). */
  version: number;
  /** Issuer key id, 16 hex digits, `` if the packet names none. */
  keyId: string;
  /** Issuer fingerprint when the packet carries one. */
  fingerprint: string;
  publicKeyAlgorithm: string;
  hashAlgorithm: string;
  /** Signature creation time (unix seconds), 0 when unknown. */
  created: number;
}

export interface RpmPayloadInfo {
  /** `cpio` for every binary and source package. */
  format: string;
  /** The PAYLOADCOMPRESSOR tag (`gzip`, `bzip2`, `xz`, `lzma`, `zstd`, `identity`); undefined in old packages (gzip). Extraction sniffs the real format. */
  compressor: string | undefined;
  /** Compression level flags as rpmbuild recorded them (e.g. `9`, `19`), undefined when absent. */
  flags: string | undefined;
  /** Digest of the compressed payload, if the package records one (rpm >= 4.14). */
  digest: { algorithm: string; value: string } | undefined;
  /** Uncompressed payload size, if recorded. */
  archiveSize: number | undefined;
  /** True when the payload uses rpm >= 4.12's stripped cpio (`07070X`, large files). */
  large: boolean;
}

/** Digests the signature header records (checked by `verifyRpm`). */
export interface RpmDigestsInfo {
  headerSha1: string | undefined;
  headerSha256: string | undefined;
  /** MD5 over header and payload (hex). */
  md5: string | undefined;
  /** Size of header and payload in bytes. */
  size: number | undefined;
}

/** Everything `readRpm` reports: the typed header, the files, scriptlets, payload and signature info. */
export interface RpmPackage {
  lead: RpmLead;
  name: string;
  epoch: number | undefined;
  version: string;
  release: string;
  arch: string;
  /** `name-[epoch:]version-release.arch` */
  nevra: string;
  summary: string;
  description: string;
  license: string;
  url: string;
  vendor: string;
  packager: string;
  group: string;
  buildTime: number;
  buildHost: string;
  sourceRpm: string;
  isSource: boolean;
  /** Installed size in bytes (LONGSIZE when present, else SIZE; undefined when the header has neither). */
  size: number | undefined;
  requires: RpmDependency[];
  provides: RpmDependency[];
  conflicts: RpmDependency[];
  obsoletes: RpmDependency[];
  recommends: RpmDependency[];
  suggests: RpmDependency[];
  supplements: RpmDependency[];
  enhances: RpmDependency[];
  files: RpmFile[];
  /** Digest algorithm of the file digests (`md5`, `sha256`, ...). */
  fileDigestAlgorithm: string;
  scripts: Partial<Record<RpmScriptletName, RpmScriptlet>>;
  payload: RpmPayloadInfo;
  digests: RpmDigestsInfo;
  signatures: RpmSignature[];
  /** Byte size of lead + signature header + header: where the payload starts. */
  payloadOffset: number;
  /** True for headers without an immutable region (v3 packages), which rpm retrofits on read. */
  legacyHeader: boolean;
  /** Every main-header tag as stored, by tag number (for tags without a typed field). */
  headerTags: ReadonlyMap<number, HeaderEntry>;
  /** Every signature-header tag as stored, by tag number. */
  signatureTags: ReadonlyMap<number, HeaderEntry>;
}
