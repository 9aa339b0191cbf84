import { loadAptIndex, type ReleaseChecks } from './repository-index.js';
import { installWithDpkg } from './install.js';
import { repositoriesForSuite, type AptRepository } from './sources-list.js';
import { compareDebVersions } from './version.js';
import type { PackageSource, SourceIndex, SourceIndexRequest } from '../package-source.js';
import { localDebCandidate } from './local-candidate.js';
import { unpackDeb } from './deb/unpack.js';
import { variantBaseNames, type Variant } from './variant.js';

export interface AptSourceOptions {
  /** Mirror URLs or one-line `deb` entries; default: the host's apt configuration. */
  mirrors?: readonly string[];
  components: readonly string[];
  keyring: string;
  insecureSkipSignatureCheck: boolean;
  aptConfigDir: string;
  /** What each Release must satisfy beyond its signature (default: its suite only). */
  releaseChecks?: ReleaseChecks;
}

/** The signed Release a repository was read from (e.g. for a lock file's `minReleaseDates`). */
export interface ResolvedRelease {
  uri: string;
  /** The suite as requested. */
  suite: string;
  /** The InRelease URL. */
  url: string;
  /** Its `Date` and `Valid-Until` (ISO 8601), when it states them. */
  date?: string;
  validUntil?: string;
}

/** The apt source's index: the shared one plus the Release of each repository. */
export interface AptSourceIndex extends SourceIndex<AptRepository> {
  releases: ResolvedRelease[];
}

/** The apt `PackageSource`. */
export interface AptPackageSource extends PackageSource<AptRepository> {
  index(request: SourceIndexRequest): Promise<AptSourceIndex>;
}

/** The apt (Debian) source: signed InRelease + Packages, .deb unpacking, dpkg in a chroot. */
export function aptSource(options: AptSourceOptions): AptPackageSource {
  return {
    kind: 'apt',
    async index(request) {
      const repositories = await repositoriesForSuite(
        request.suite,
        options.mirrors,
        options.components,
        options.aptConfigDir,
      );
      for (const r of repositories)
        request.onProgress?.({ phase: 'index', repository: `${r.uri} ${r.suite}`, done: false });
      const index = await loadAptIndex({
        repositories,
        architecture: request.architecture,
        keyring: options.keyring,
        insecure: options.insecureSkipSignatureCheck,
        cacheDir: request.cacheDir,
        ...(options.releaseChecks ? { releaseChecks: options.releaseChecks } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      for (const r of repositories)
        request.onProgress?.({ phase: 'index', repository: `${r.uri} ${r.suite}`, done: true });
      const primary = index.repositories.find(
        (r) => r.release.suite === request.suite || r.release.codename === request.suite,
      );
      return {
        repositories,
        releases: index.repositories.map(({ repository, release, url }) => ({
          uri: repository.uri,
          suite: repository.suite,
          url,
          ...(release.date ? { date: release.date.toISOString() } : {}),
          ...(release.validUntil ? { validUntil: release.validUntil.toISOString() } : {}),
        })),
        candidates: index.candidates,
        compare: compareDebVersions,
        baseNames: variantBaseNames(
          index.candidates,
          request.variant as Variant,
          primary?.repository.suite ?? request.suite,
        ),
      };
    },
    localCandidate: localDebCandidate,
    unpack: (file, root, unpackOptions) => unpackDeb(file, root, unpackOptions),
    install: installWithDpkg,
  };
}
