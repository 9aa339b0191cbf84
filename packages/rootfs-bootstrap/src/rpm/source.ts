import { extractRpm, idResolverFromRoot, toCoreManifest } from '@distroforge/rpm-extract';
import type { ManifestEntry } from '@distroforge/core';
import { BootstrapOptionsError } from '../errors.js';
import { performance } from 'node:perf_hooks';
import type {
  InstallReport,
  LocalFileFacts,
  PackageSource,
  SourceIndex,
  SourceIndexRequest,
  SourceInstallRequest,
} from '../package-source.js';
import { runRpmScriptlets } from './scriptlets.js';
import { indexRpmDirectory } from './dir-index.js';
import { extractIsoPackages } from './iso.js';
import { loadRpmRepository, repositoryBaseUrl, type RepomdGpgCheck } from './repo-metadata.js';
import { readDirectoryComps } from './dir-comps.js';
import type { CompsData } from './comps-groups.js';
import type { GpgVerification } from '../gpg-verify.js';
import { compareRpmVersions } from './version.js';
import type { RpmCandidate } from './candidate.js';
import { localRpmCandidate } from './local-candidate.js';

/** Where rpm packages come from: `rpm-dir:PATH`, `rpm-iso:PATH` or `rpm-repo:URL`. */
export interface RpmSourceSpec {
  kind: 'rpm-dir' | 'rpm-iso' | 'rpm-repo';
  location: string;
}

/** Parses `rpm-dir:PATH`, `rpm-iso:PATH`, `rpm-repo:URL`. */
export function parseRpmSourceSpec(spec: string): RpmSourceSpec {
  const m = /^(rpm-dir|rpm-iso|rpm-repo):(.+)$/.exec(spec);
  if (!m)
    throw new BootstrapOptionsError(
      `source ${JSON.stringify(spec)}: expected rpm-dir:PATH, rpm-iso:PATH or rpm-repo:URL`,
      { value: 'source' },
    );
  return { kind: m[1] as RpmSourceSpec['kind'], location: m[2]! };
}

/** An rpm source as the result reports it. */
export interface RpmRepository {
  kind: RpmSourceSpec['kind'];
  location: string;
  /** The local folder that was indexed (rpm-dir, rpm-iso). */
  directory?: string;
  /** rpm-repo: repomd.xml's `revision`, when it states one (e.g. for a lock file's `minRepomdRevision`). */
  revision?: string;
}

/** What an rpm source's index holds beyond the shared `SourceIndex`. */
export interface RpmSourceIndex extends SourceIndex<RpmRepository> {
  candidates: RpmCandidate[];
  /** Package groups from the source's comps.xml (empty when it has none). */
  comps: CompsData;
  /** rpm-repo with a GPG check: the verification of `repodata/repomd.xml.asc`. */
  repositorySignature?: GpgVerification;
}

/** A `PackageSource` whose candidates carry rpm metadata. */
export interface RpmPackageSource extends PackageSource<RpmRepository> {
  index(request: SourceIndexRequest): Promise<RpmSourceIndex>;
  localCandidate(file: string, facts: LocalFileFacts): Promise<RpmCandidate>;
}

/** Source options: the GPG check of repository metadata (rpm-repo's `repomd.xml.asc`). */
export interface RpmSourceOptions {
  repomdGpg?: RepomdGpgCheck;
  /** rpm-repo: the lowest acceptable repomd.xml `revision` (an older one is a rollback). */
  minRepomdRevision?: number;
}

/**
 * An rpm source (`rpm-dir`, `rpm-iso`; `rpm-repo` is `rpmRepoSource`) as a plug-in of
 * the shared pipeline: candidates from the headers, rpm version order, extraction with rpm-extract.
 */
export function rpmDirectorySource(spec: RpmSourceSpec): RpmPackageSource {
  return {
    kind: spec.kind,
    async index(request) {
      request.onProgress?.({ phase: 'index', repository: `${spec.kind}:${spec.location}`, done: false });
      const directory =
        spec.kind === 'rpm-iso'
          ? await extractIsoPackages(spec.location, {
              cacheDir: request.cacheDir,
              ...(request.signal ? { signal: request.signal } : {}),
            })
          : spec.location;
      const [candidates, { comps }] = await Promise.all([
        indexRpmDirectory(directory, { cacheDir: request.cacheDir, origin: `${spec.kind}:${spec.location}` }),
        readDirectoryComps(directory),
      ]);
      request.onProgress?.({ phase: 'index', repository: `${spec.kind}:${spec.location}`, done: true });
      return { repositories: [{ ...spec, directory }], candidates, comps, compare: compareRpmVersions, baseNames: [] };
    },
    localCandidate: localRpmCandidate,
    unpack: unpackRpm,
    install: installWithScriptlets,
  };
}

/** A yum/dnf repository (`rpm-repo:URL`): verified repodata, packages fetched into the shared cache. */
export function rpmRepoSource(spec: RpmSourceSpec, options: RpmSourceOptions = {}): RpmPackageSource {
  return {
    kind: spec.kind,
    async index(request) {
      const base = repositoryBaseUrl(spec.location);
      request.onProgress?.({ phase: 'index', repository: base, done: false });
      const loaded = await loadRpmRepository(spec.location, {
        origin: `rpm-repo:${spec.location}`,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(options.repomdGpg ? { gpg: options.repomdGpg } : {}),
        ...(options.minRepomdRevision !== undefined ? { minRevision: options.minRepomdRevision } : {}),
      });
      request.onProgress?.({ phase: 'index', repository: base, done: true });
      return {
        repositories: [
          { ...spec, location: base, ...(loaded.revision !== undefined ? { revision: loaded.revision } : {}) },
        ],
        candidates: loaded.candidates,
        comps: loaded.comps,
        ...(loaded.signature ? { repositorySignature: loaded.signature } : {}),
        compare: compareRpmVersions,
        baseNames: [],
      };
    },
    localCandidate: localRpmCandidate,
    unpack: unpackRpm,
    install: installWithScriptlets,
  };
}

/**
 * The interface's install step for rpm: runs `%pre`/`%post` in the extracted tree's root, in the
 * request's user namespace; failures are in the log and leave the package out of `maintainerScripts`.
 * `bootstrapRpmRootfs` calls `runRpmScriptlets` itself to report failures per package.
 */
async function installWithScriptlets(request: SourceInstallRequest): Promise<InstallReport> {
  const started = performance.now();
  const order = request.order.map((candidate) => ({
    candidate: candidate as RpmCandidate,
    file: request.files.get(candidate.name)!,
  }));
  const report = await runRpmScriptlets(request.root, order, {
    logFile: request.logFile,
    sourceDateEpoch: request.sourceDateEpoch,
    abortOnFailure: false,
    namespace: request.namespace,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const maintainerScripts = report.ran.map((r) => ({
    package: r.package,
    scripts: r.scriptlets.map((s) => (s === 'prein' ? 'preinst' : 'postinst') as 'preinst' | 'postinst'),
  }));
  return {
    maintainerScripts,
    steps: [{ step: 'rpm scriptlets', ms: Math.round(performance.now() - started) }],
    manifest: [],
  };
}

/**
 * Extracts one package into `root` (merged into the existing tree, digests verified) and returns
 * its owners and modes with ids from the root's own passwd/group.
 */
export async function unpackRpm(file: string, root: string): Promise<{ manifest: ManifestEntry[] }> {
  const result = await extractRpm(file, root, { merge: true });
  return { manifest: toCoreManifest(result.manifest, await idResolverFromRoot(root)).entries };
}
