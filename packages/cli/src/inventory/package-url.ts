import type { OsRelease } from './os-release.js';

/** The PURL type of each package format (purl-spec: deb, rpm, alpm). */
const PURL_TYPES = { deb: 'deb', rpm: 'rpm', pacman: 'alpm' } as const;

/**
 * A package's PURL: `pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12`,
 * `pkg:rpm/rocky/NAME@VERSION-RELEASE?arch=ARCH&epoch=1&distro=rocky-9.4`,
 * `pkg:alpm/arch/NAME@VERSION?arch=ARCH`. The namespace is the root's os-release ID (else the RPM
 * vendor's first word, `debian` or `arch`); name, version and qualifier values are percent-encoded
 * (`+` and `:` too), qualifiers sorted by key as the spec asks.
 */
export function packageUrl(
  format: 'deb' | 'rpm' | 'pacman',
  pkg: { name: string; version: string; architecture: string; epoch?: string; supplier?: string },
  os: OsRelease,
): string {
  const namespace =
    os.id ??
    (format === 'deb'
      ? 'debian'
      : format === 'pacman'
        ? 'arch'
        : pkg.supplier
            ?.split(/\s+/)[0]
            ?.toLowerCase()
            .replace(/[^a-z0-9.-]/g, ''));
  // The PURL's rpm version has no epoch: that is the `epoch` qualifier.
  const version = pkg.epoch !== undefined ? pkg.version.slice(pkg.version.indexOf(':') + 1) : pkg.version;
  const distro =
    os.id && (os.versionId ?? os.versionCodename) ? `${os.id}-${os.versionId ?? os.versionCodename}` : undefined;
  const qualifiers: [string, string][] = [['arch', pkg.architecture]];
  if (distro) qualifiers.push(['distro', distro]);
  if (pkg.epoch !== undefined) qualifiers.push(['epoch', pkg.epoch]);
  qualifiers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const path = namespace ? `${encodeURIComponent(namespace)}/` : '';
  const query = qualifiers.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return `pkg:${PURL_TYPES[format]}/${path}${encodeURIComponent(pkg.name)}@${encodeURIComponent(version)}?${query}`;
}
