import { open, stat } from 'node:fs/promises';
import { pacmanArchiveKind } from './pacman/archive-kind.js';
import { resolve } from 'node:path';
import { LocalPackageError, UnsatisfiableError } from './errors.js';
import type { PackageCandidate } from './package-candidate.js';
import { sha256File } from '@distroforge/core';
import type { LocalFileFacts } from './package-source.js';

/** Package file formats, told apart by their first bytes. */
export type PackageFileFormat = 'deb' | 'rpm' | 'pacman';

/** How a format's files are named in messages. */
export const PACKAGE_FILE_LABEL: Readonly<Record<PackageFileFormat, string>> = {
  deb: '.deb',
  rpm: '.rpm',
  pacman: 'pacman (.pkg.tar.*)',
};

const RPM_LEAD_MAGIC = Buffer.from([0xed, 0xab, 0xee, 0xdb]);
const AR_MAGIC = Buffer.from('!<arch>\n', 'latin1');

/** The format of a package file from its magic bytes (an ar archive is taken as a .deb; a tar with pacman's dot-files first, as is or compressed, as a pacman package), or undefined. */
export async function packageFileFormat(file: string): Promise<PackageFileFormat | undefined> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    if (bytesRead >= 8 && head.equals(AR_MAGIC)) return 'deb';
    if (bytesRead >= 4 && head.subarray(0, 4).equals(RPM_LEAD_MAGIC)) return 'rpm';
  } finally {
    await handle.close();
  }
  return (await pacmanArchiveKind(file)) === 'package' ? 'pacman' : undefined;
}

/** Refuses a local file that is not a `format` package, saying what it is instead. */
export async function assertPackageFormat(file: string, format: PackageFileFormat, sourceKind: string): Promise<void> {
  const found = await packageFileFormat(file);
  if (found === format) return;
  throw new LocalPackageError(
    file,
    found
      ? `is a ${PACKAGE_FILE_LABEL[found]} package; an ${sourceKind} source installs ${PACKAGE_FILE_LABEL[format]} files`
      : `is not a ${PACKAGE_FILE_LABEL[format]} package (unknown file format)`,
  );
}

/**
 * Local package files as an extra repository of one source that wins over the source's own
 * repositories: a repository package with the name of a local one is no longer a candidate, so
 * the local one is installed whatever the versions, and its dependencies resolve from the source.
 * Chains of why a package is installed start at the local file (`/x/tool.deb -> tool -> libfoo`).
 */
export class LocalPackages<C extends PackageCandidate = PackageCandidate> {
  readonly candidates: readonly C[];
  readonly #fileOf: ReadonlyMap<string, string>;

  constructor(candidates: readonly C[]) {
    this.candidates = [...candidates];
    this.#fileOf = new Map(candidates.map((c) => [c.name, c.localFile ?? c.location]));
  }

  /** The names to install (each local package is requested). */
  get names(): string[] {
    return this.candidates.map((c) => c.name);
  }

  /** `index` with the local packages layered over its candidates. */
  overlay<I extends { candidates: readonly C[] }>(index: I): I {
    if (this.candidates.length === 0) return index;
    return { ...index, candidates: [...index.candidates.filter((c) => !this.#fileOf.has(c.name)), ...this.candidates] };
  }

  /** `chain` with the local file in front when it starts at a local package. */
  chain(chain: readonly string[]): string[] {
    const file = chain[0] === undefined ? undefined : this.#fileOf.get(chain[0]);
    return file ? [file, ...chain] : [...chain];
  }

  /** Runs a resolution; an `UnsatisfiableError` under a local package names the file (chain and `path`). */
  explain<T>(resolveSet: () => T): T {
    try {
      return resolveSet();
    } catch (error) {
      const file =
        error instanceof UnsatisfiableError && error.chain[0] !== undefined
          ? this.#fileOf.get(error.chain[0])
          : undefined;
      if (!file || !(error instanceof UnsatisfiableError)) throw error;
      throw new UnsatisfiableError(this.chain(error.chain), error.reason, {
        path: file,
        cause: error,
        hint: `a dependency of the local package ${file} is in none of the source's repositories: add its repository or the package file`,
      });
    }
  }
}

/**
 * Reads local package files (paths relative to the working directory) with a source's reader:
 * each must exist and be of the source's format and architecture; two files of one package name
 * are refused. The SHA-256 is the file's, so the usual fetch step verifies it did not change.
 */
export async function readLocalPackages<C extends PackageCandidate>(
  reader: { localCandidate(file: string, facts: LocalFileFacts): Promise<C> },
  files: readonly string[],
  architecture: string,
): Promise<LocalPackages<C>> {
  const candidates: C[] = [];
  for (const given of files) {
    const path = resolve(given);
    const stats = await stat(path).catch(() => undefined);
    if (!stats) throw new LocalPackageError(path, 'no such file');
    if (!stats.isFile()) throw new LocalPackageError(path, 'not a regular file');
    let candidate: C;
    try {
      candidate = await reader.localCandidate(path, {
        path,
        sha256: await sha256File(path),
        size: stats.size,
        architecture,
      });
    } catch (error) {
      if (error instanceof LocalPackageError || !(error instanceof Error)) throw error;
      throw new LocalPackageError(path, `unreadable or corrupt: ${error.message}`, { cause: error });
    }
    const twin = candidates.find((c) => c.name === candidate.name);
    if (twin)
      throw new LocalPackageError(path, `package ${candidate.name} is also given as ${twin.localFile}`, {
        value: candidate.name,
        hint: 'give each package once in localPackages',
      });
    candidates.push({ ...candidate, origin: 'local', localFile: path });
  }
  return new LocalPackages(candidates);
}
