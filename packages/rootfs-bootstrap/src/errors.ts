import { DistroforgeError, type ErrorDetails } from '@distroforge/core';

/**
 * Every error rootfs-bootstrap throws on purpose. `code` is stable (listed in the README); catch by
 * class or by code.
 */
export class BootstrapError extends DistroforgeError {}

/** An `InRelease` file has no valid signature by a key of the keyring. */
export class SignatureError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_SIGNATURE', message, {
      hint: 'check the mirror and the keyring (--keyring); use --insecure only for throw-away experiments',
      ...details,
    });
  }
}

/** A downloaded index or package does not match the size or SHA-256 the signed metadata states. */
export class DigestMismatchError extends BootstrapError {
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, expected: string, actual: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_DIGEST', `${what}: expected ${expected}, got ${actual}`, {
      hint: 'the mirror served a modified or truncated file; retry later or use another mirror',
      value: actual,
      ...details,
    });
    this.expected = expected;
    this.actual = actual;
  }
}

/** The signed `Release` data lacks something we need, or has expired. */
export class ReleaseError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_RELEASE', message, { hint: 'check the suite, component and architecture names', ...details });
  }
}

/** Downloading from a mirror failed. */
export class FetchError extends BootstrapError {
  constructor(url: string, reason: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_FETCH', `cannot fetch ${url}: ${reason}`, {
      hint: 'check the mirror URL and the network; downloads resume where they stopped',
      value: url,
      ...details,
    });
  }
}

/** No mirror was given and none could be taken from the host's apt configuration. */
export class MirrorConfigError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_NO_MIRROR', message, { hint: 'pass a mirror, e.g. --mirror http://deb.debian.org/debian', ...details });
  }
}

/** Control data (a `Packages` file, `Release`, a relation field) is malformed. */
export class ControlSyntaxError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_CONTROL_SYNTAX', message, { hint: 'the repository metadata is corrupt; fetch it again', ...details });
  }
}

/** A requested package or one of its dependencies cannot be satisfied. `chain` names the path to it. */
export class UnsatisfiableError extends BootstrapError {
  readonly chain: readonly string[];
  /** Why the last link of the chain cannot be met. */
  readonly reason: string;
  constructor(chain: readonly string[], reason: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_UNSATISFIABLE', `cannot satisfy ${chain.join(' -> ')}: ${reason}`, {
      hint: 'check the package names, the suite and components, or add an alternative with --include',
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
    super('ERR_BOOTSTRAP_DEB_FORMAT', message, { hint: 'the package file is corrupt; delete it from the cache and retry', ...details });
  }
}

/** An archive member would land outside the target (`..`, or through a symlink leaving the root). */
export class UnsafePathError extends BootstrapError {
  constructor(member: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_UNSAFE_PATH', `archive member escapes the target: ${member}`, {
      hint: 'the package is malicious or corrupt; it was not installed',
      value: member,
      ...details,
    });
  }
}

/** The target directory exists and is not empty. */
export class TargetNotEmptyError extends BootstrapError {
  constructor(target: string) {
    super('ERR_BOOTSTRAP_TARGET_NOT_EMPTY', `target ${target} exists and is not empty`, {
      hint: 'pass a new or empty directory',
      path: target,
    });
  }
}

/** Options failed validation. */
export class BootstrapOptionsError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_OPTIONS', message, { hint: 'see the README for the option shapes', ...details });
  }
}

/** An rpm source (`rpm-dir`, `rpm-iso`, `rpm-repo`) is missing or cannot be used. */
export class RpmSourceError extends BootstrapError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_RPM_SOURCE', message, { hint: 'check the --source path or URL', ...details });
  }
}

/** A local package file (option `localPackages`) is missing, unreadable, corrupt, or of the wrong format or architecture. */
export class LocalPackageError extends BootstrapError {
  constructor(file: string, reason: string, details: ErrorDetails = {}) {
    super('ERR_BOOTSTRAP_LOCAL_PACKAGE', `local package ${file}: ${reason}`, {
      hint: 'check the path in localPackages; an apt source installs .deb files, an rpm source .rpm files (build them with dpkg-deb --build or rpmbuild)',
      path: file,
      ...details,
    });
  }
}
