import { loadAptIndex } from './apt-index.js';
import { installWithDpkg } from './apt-install.js';
import { repositoriesForSuite, type AptRepository } from './apt-sources.js';
import { compareDebVersions } from './deb-version.js';
import type { PackageSource } from './package-source.js';
import { localDebCandidate } from './local-deb.js';
import { unpackDeb } from './unpack-deb.js';
import { variantBaseNames, type Variant } from './variant.js';

export interface AptSourceOptions {
  /** Mirror URLs or one-line `deb` entries; default: the host's apt configuration. */
  mirrors?: readonly string[];
  components: readonly string[];
  keyring: string;
  insecureSkipSignatureCheck: boolean;
  aptConfigDir: string;
}

/** The apt (Debian) source: signed InRelease + Packages, .deb unpacking, dpkg in a chroot. */
export function aptSource(options: AptSourceOptions): PackageSource<AptRepository> {
  return {
    kind: 'apt',
    async index(request) {
      const repositories = await repositoriesForSuite(request.suite, options.mirrors, options.components, options.aptConfigDir);
      for (const r of repositories) request.onProgress?.({ phase: 'index', repository: `${r.uri} ${r.suite}`, done: false });
      const index = await loadAptIndex({
        repositories,
        architecture: request.architecture,
        keyring: options.keyring,
        insecure: options.insecureSkipSignatureCheck,
        cacheDir: request.cacheDir,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      for (const r of repositories) request.onProgress?.({ phase: 'index', repository: `${r.uri} ${r.suite}`, done: true });
      const primary = index.repositories.find((r) => r.release.suite === request.suite || r.release.codename === request.suite);
      return {
        repositories,
        candidates: index.candidates,
        compare: compareDebVersions,
        baseNames: variantBaseNames(index.candidates, request.variant as Variant, primary?.repository.suite ?? request.suite),
      };
    },
    localCandidate: localDebCandidate,
    unpack: (file, root, unpackOptions) => unpackDeb(file, root, unpackOptions),
    install: installWithDpkg,
  };
}
