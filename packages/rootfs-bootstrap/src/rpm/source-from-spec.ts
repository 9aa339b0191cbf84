import {
  parseRpmSourceSpec,
  rpmDirectorySource,
  rpmRepoSource,
  type RpmPackageSource,
  type RpmSourceOptions,
} from './source.js';

/** The rpm `PackageSource` for `rpm-dir:PATH`, `rpm-iso:PATH` or `rpm-repo:URL` (`options` apply to rpm-repo). */
export function rpmSource(spec: string, options: RpmSourceOptions = {}): RpmPackageSource {
  const parsed = parseRpmSourceSpec(spec);
  return parsed.kind === 'rpm-repo' ? rpmRepoSource(parsed, options) : rpmDirectorySource(parsed);
}
