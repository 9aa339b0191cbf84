import { parseRpmSourceSpec, rpmDirectorySource, rpmRepoSource, type RpmPackageSource } from './rpm-source.js';

/** The rpm `PackageSource` for `rpm-dir:PATH`, `rpm-iso:PATH` or `rpm-repo:URL`. */
export function rpmSource(spec: string): RpmPackageSource {
  const parsed = parseRpmSourceSpec(spec);
  return parsed.kind === 'rpm-repo' ? rpmRepoSource(parsed) : rpmDirectorySource(parsed);
}
