import { DistroforgeError, type ErrorDetails, type OptionIssue, type OptionsErrorDetails } from '@distroforge/core';

/**
 * Stable error codes of this package (listed in the README with their hints). The pacman source's
 * codes are `pacmanErrorCodes` (its own list and hints); core's user-namespace, tool and
 * decompression codes pass through unchanged.
 */
export const bootstrapErrorCodes = [
  'ERR_BOOTSTRAP_SIGNATURE',
  'ERR_BOOTSTRAP_DIGEST',
  'ERR_BOOTSTRAP_RELEASE',
  'ERR_BOOTSTRAP_RELEASE_SUITE',
  'ERR_BOOTSTRAP_RELEASE_EXPIRED',
  'ERR_BOOTSTRAP_METADATA_ROLLBACK',
  'ERR_BOOTSTRAP_FETCH',
  'ERR_BOOTSTRAP_NO_MIRROR',
  'ERR_BOOTSTRAP_CONTROL_SYNTAX',
  'ERR_BOOTSTRAP_UNSATISFIABLE',
  'ERR_BOOTSTRAP_DEB_FORMAT',
  'ERR_BOOTSTRAP_UNPACK_WRITE',
  'ERR_BOOTSTRAP_UNSAFE_PATH',
  'ERR_BOOTSTRAP_TARGET_NOT_EMPTY',
  'ERR_BOOTSTRAP_RPM_SOURCE',
  'ERR_BOOTSTRAP_LOCAL_PACKAGE',
  'ERR_BOOTSTRAP_OPTIONS',
  'ERR_BOOTSTRAP_MOUNTS_LEFT',
  'ERR_BOOTSTRAP_RPM_FILE_CONFLICT',
  'ERR_BOOTSTRAP_RPM_SCRIPTLET',
  'ERR_BOOTSTRAP_RPM_LUA',
  'ERR_BOOTSTRAP_RPMDB',
] as const;

export type BootstrapErrorCode = (typeof bootstrapErrorCodes)[number];

// The hint an error of the code gets unless it is given a more specific one (the override option, the umount command).
const hints: Record<BootstrapErrorCode, string> = {
  ERR_BOOTSTRAP_SIGNATURE:
    'check the mirror and the keyring (--keyring); use --insecure only for throw-away experiments',
  ERR_BOOTSTRAP_DIGEST: 'the mirror served a modified or truncated file; retry later or use another mirror',
  ERR_BOOTSTRAP_RELEASE: 'check the suite, component and architecture names',
  ERR_BOOTSTRAP_RELEASE_SUITE:
    'the mirror serves another suite under this name (misconfigured or hostile; apt calls it a conflicting distribution): check the mirror and the suite name',
  ERR_BOOTSTRAP_RELEASE_EXPIRED:
    "use an up-to-date mirror; for an archive snapshot on purpose pass allowExpiredRelease (apt's Check-Valid-Until=no)",
  ERR_BOOTSTRAP_METADATA_ROLLBACK:
    'the mirror serves metadata older than a copy seen before (stale or hostile): use an up-to-date mirror, or pass allowReleaseRollback (apt) or allowRepomdRollback (rpm) to go back on purpose',
  ERR_BOOTSTRAP_FETCH: 'check the mirror URL and the network; downloads resume where they stopped',
  ERR_BOOTSTRAP_NO_MIRROR: 'pass a mirror, e.g. --mirror http://deb.debian.org/debian',
  ERR_BOOTSTRAP_CONTROL_SYNTAX: 'the repository metadata is corrupt; fetch it again',
  ERR_BOOTSTRAP_UNSATISFIABLE:
    'check the package names, the suite and components, or add an alternative with --include',
  ERR_BOOTSTRAP_DEB_FORMAT: 'the package file is corrupt; delete it from the cache and retry',
  ERR_BOOTSTRAP_UNPACK_WRITE:
    'a missing or non-directory parent means the package is corrupt (delete it from the cache); otherwise check free space and permissions of the target',
  ERR_BOOTSTRAP_UNSAFE_PATH: 'the package is malicious or corrupt; it was not installed',
  ERR_BOOTSTRAP_TARGET_NOT_EMPTY: 'pass a new or empty directory',
  ERR_BOOTSTRAP_RPM_SOURCE: 'check the --source path or URL',
  ERR_BOOTSTRAP_LOCAL_PACKAGE:
    'check the path in localPackages; an apt source installs .deb files, an rpm source .rpm files (build them with dpkg-deb --build or rpmbuild)',
  ERR_BOOTSTRAP_OPTIONS: 'see the README for the option shapes',
  ERR_BOOTSTRAP_MOUNTS_LEFT:
    'unmount what is mounted under the partial tree (umount -R on each mount named in value) and remove it',
  ERR_BOOTSTRAP_RPM_FILE_CONFLICT:
    'the two packages cannot be installed together (as dnf refuses them): exclude one of them, or pick packages that do not ship the same path',
  ERR_BOOTSTRAP_RPM_SCRIPTLET:
    "a package's %pre failed, so it cannot be installed (rpm leaves it out and dnf fails the transaction): read the log tail and the package's scriptlet (rpm -qp --scripts FILE)",
  ERR_BOOTSTRAP_RPM_LUA:
    "a <lua> scriptlet needs rpm's embedded interpreter: the host's librpm (apt-get install python3-rpm) or the image's own rpm (/usr/bin/rpm installed before it); or pass luaScriptlets 'skip' to leave such scriptlets out and see them in scriptlets.skipped",
  ERR_BOOTSTRAP_RPMDB:
    'install rpm and python3-rpm on the host (apt-get install rpm python3-rpm; faketime too when the image\'s rpm format is not sqlite and SOURCE_DATE_EPOCH is set), or pass rpmdb "none" to build the tree without a package database',
};

/** The pacman source's codes (`pacmanErrorCodes`, in pacman/errors.ts): its errors bring their own hints. */
type PacmanCode = `ERR_PACMAN_${string}`;

/**
 * Every error rootfs-bootstrap throws on purpose (core's passed-through errors aside). `code` is
 * stable (listed in the README); catch by class or by code. The hint is the code's unless the error
 * gives a more specific one.
 */
export class BootstrapError extends DistroforgeError {
  constructor(code: BootstrapErrorCode | PacmanCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { ...details, hint: details.hint ?? hints[code as BootstrapErrorCode] });
  }
}

/** An `InRelease` file has no valid signature by a key of the keyring. */
export class SignatureError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_SIGNATURE', message, details);
  }
}

/** A downloaded index or package does not match the size or SHA-256 the signed metadata states. */
export class DigestMismatchError extends BootstrapError {
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, expected: string, actual: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_DIGEST', `${what}: expected ${expected}, got ${actual}`, { value: actual, ...details });
    this.expected = expected;
    this.actual = actual;
  }
}

/** The signed `Release` data lacks something we need (an index for the component and architecture). */
export class ReleaseError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_RELEASE', message, details);
  }
}

/** A signed `Release` is that of another suite: neither its `Suite` nor its `Codename` is the one asked for. */
export class ReleaseSuiteMismatchError extends BootstrapError {
  /** The suite or codename asked for. */
  readonly expected: string;
  /** What the Release states. */
  readonly seen: { suite: string | undefined; codename: string | undefined };
  constructor(url: string, expected: string, seen: { suite: string | undefined; codename: string | undefined }) {
    super(
      'ERR_BOOTSTRAP_RELEASE_SUITE',
      `${url} is the Release of Suite ${seen.suite ?? '(none)'}, Codename ${seen.codename ?? '(none)'}, not of ${expected}`,
      {
        path: url,
        value: seen,
      },
    );
    this.expected = expected;
    this.seen = { ...seen };
  }
}

/** A signed `Release` is past its `Valid-Until`: a stale mirror or a replayed old Release. */
export class ReleaseExpiredError extends BootstrapError {
  /** The time it was checked against (ISO 8601). */
  readonly expected: string;
  /** Its `Valid-Until` (ISO 8601). */
  readonly seen: string;
  constructor(url: string, validUntil: Date, now: Date) {
    super('ERR_BOOTSTRAP_RELEASE_EXPIRED', `${url} expired on ${validUntil.toISOString()} (now ${now.toISOString()})`, {
      path: url,
      value: validUntil.toISOString(),
    });
    this.expected = now.toISOString();
    this.seen = validUntil.toISOString();
  }
}

/**
 * Signed repository metadata is older than a minimum the caller knows of (a `Release` `Date` before
 * `minReleaseDates`, a repomd.xml `revision` below `minRepomdRevision`): a rollback to an old copy.
 */
export class MetadataRollbackError extends BootstrapError {
  /** The minimum (ISO 8601 date or revision). */
  readonly expected: string;
  /** What the metadata states (`undefined` when it states nothing comparable). */
  readonly seen: string | undefined;
  constructor(what: string, url: string, seen: string | undefined, minimum: string, override: string) {
    super(
      'ERR_BOOTSTRAP_METADATA_ROLLBACK',
      `${url}: ${what} ${seen ?? '(none)'} is older than the minimum ${minimum}`,
      {
        hint: `the mirror serves metadata older than a copy seen before (stale or hostile): use an up-to-date mirror, or pass ${override} to go back on purpose`,
        path: url,
        value: seen,
      },
    );
    this.expected = minimum;
    this.seen = seen;
  }
}

/** Downloading from a mirror failed. */
export class FetchError extends BootstrapError {
  constructor(url: string, reason: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_FETCH', `cannot fetch ${url}: ${reason}`, { value: url, ...details });
  }
}

/** No mirror was given and none could be taken from the host's apt configuration. */
export class MirrorConfigError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_NO_MIRROR', message, details);
  }
}

/** Control data (a `Packages` file, `Release`, a relation field) is malformed. */
export class ControlSyntaxError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_CONTROL_SYNTAX', message, details);
  }
}

/** A requested package or one of its dependencies cannot be satisfied. `chain` names the path to it. */
export class UnsatisfiableError extends BootstrapError {
  readonly chain: readonly string[];
  /** Why the last link of the chain cannot be met. */
  readonly reason: string;
  constructor(chain: readonly string[], reason: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_UNSATISFIABLE', `cannot satisfy ${chain.join(' -> ')}: ${reason}`, {
      value: chain.at(-1),
      ...details,
    });
    this.chain = [...chain];
    this.reason = reason;
  }
}

/** A `.deb` (ar archive, control or data tarball) is malformed. */
export class DebFormatError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_DEB_FORMAT', message, details);
  }
}

/** An archive member would land outside the target (`..`, or through a symlink leaving the root). */
export class UnsafePathError extends BootstrapError {
  constructor(member: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_UNSAFE_PATH', `archive member escapes the target: ${member}`, { value: member, ...details });
  }
}

/** A `.deb` member could not be written into the target (its parent is missing or not a directory, no space, no permission). */
export class UnpackWriteError extends BootstrapError {
  constructor(member: string, host: string | undefined, cause: NodeJS.ErrnoException) {
    super('ERR_BOOTSTRAP_UNPACK_WRITE', `cannot write archive member ${member}: ${cause.code ?? cause.message}`, {
      value: member,
      ...(host ? { path: host } : {}),
      cause,
    });
  }
}

/** The target directory exists and is not empty. */
export class TargetNotEmptyError extends BootstrapError {
  constructor(target: string) {
    super('ERR_BOOTSTRAP_TARGET_NOT_EMPTY', `target ${target} exists and is not empty`, { path: target });
  }
}

/**
 * Options failed validation (the schema, a rule between options, a flag of the bin); `value` names the
 * (first) offending key, `issues` every problem found.
 */
export class BootstrapOptionsError extends BootstrapError {
  readonly issues: readonly OptionIssue[];
  constructor(message: string, details: OptionsErrorDetails = {}) {
    const { issues, ...rest } = details;
    super('ERR_BOOTSTRAP_OPTIONS', message, rest);
    this.issues = issues ?? [{ key: typeof details.value === 'string' ? details.value : '', message }];
  }
}

/** An rpm source (`rpm-dir`, `rpm-iso`, `rpm-repo`) is missing or cannot be used. */
export class RpmSourceError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_RPM_SOURCE', message, details);
  }
}

/** A local package file (option `localPackages`) is missing, unreadable, corrupt, or of the wrong format or architecture. */
export class LocalPackageError extends BootstrapError {
  constructor(file: string, reason: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_LOCAL_PACKAGE', `local package ${file}: ${reason}`, { path: file, ...details });
  }
}

/** Two packages of an rpm transaction install different files at one path (rpm's rule), as dnf refuses them. */
export class RpmFileConflictError extends BootstrapError {
  /** Every conflicting path with the two packages (`name-version.arch`, install order). */
  readonly conflicts: { path: string; packages: [string, string] }[];
  constructor(conflicts: { path: string; packages: [string, string] }[]) {
    const shown = conflicts
      .slice(0, 5)
      .map((c) => `file ${c.path} conflicts between attempted installs of ${c.packages[0]} and ${c.packages[1]}`);
    super(
      'ERR_BOOTSTRAP_RPM_FILE_CONFLICT',
      `${conflicts.length} file conflict(s) in the rpm transaction:\n  ${shown.join('\n  ')}${conflicts.length > 5 ? `\n  ... and ${conflicts.length - 5} more` : ''}`,
      {
        path: conflicts[0]?.path,
        value: conflicts[0]?.packages,
      },
    );
    this.conflicts = conflicts;
  }
}

/** An rpm scriptlet failed where the install cannot go on (a `%pre`, or any with `abortOnScriptletFailure`). */
export class RpmScriptletError extends BootstrapError {
  readonly package: string;
  readonly scriptlet: string;
  readonly exitCode: number | undefined;
  /** The last lines of the scriptlet log. */
  readonly logTail: string;
  constructor(
    pkg: string,
    scriptlet: string,
    exitCode: number | undefined,
    logTail: string,
    logFile: string,
    cause?: unknown,
  ) {
    super(
      'ERR_BOOTSTRAP_RPM_SCRIPTLET',
      `${scriptlet} scriptlet of ${pkg} failed${exitCode === undefined ? '' : ` (exit status ${exitCode})`}; the tree was not created. Log tail:\n${logTail}`,
      { path: logFile, value: pkg, cause },
    );
    this.package = pkg;
    this.scriptlet = scriptlet;
    this.exitCode = exitCode;
    this.logTail = logTail;
  }
}

/** A `<lua>` scriptlet cannot run: the image has no rpm (yet) and the host no python3-rpm to run it, and `luaScriptlets` is `fail`. */
export class RpmLuaScriptletError extends BootstrapError {
  constructor(pkg: string, scriptlet: string) {
    super(
      'ERR_BOOTSTRAP_RPM_LUA',
      `the ${scriptlet} <lua> scriptlet of ${pkg} needs rpm's embedded interpreter: the image has no /usr/bin/rpm at that point and the host has no python3-rpm`,
      { value: pkg },
    );
  }
}

/** The image's rpm database could not be written (host rpm missing or failing, a database format it cannot write). */
export class RpmdbError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_RPMDB', message, details);
  }
}
