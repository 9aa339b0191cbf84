// Tiny real package files for the localPackages tests: .debs built with dpkg-deb, .rpms with rpmbuild.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DebSpec {
  /** Control fields (Package, Version, Architecture, Depends...). */
  control: Record<string, string>;
  /** In-root path -> content. */
  files: Record<string, string>;
  postinst?: string;
}

/** Builds `<dir>/<Package>_<Version>.deb` with dpkg-deb and returns its path. */
export function buildDeb(dir: string, spec: DebSpec): string {
  const { Package: name, Version: version } = spec.control;
  const tree = join(dir, `deb-src-${name}-${version}`);
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  const fields = { Maintainer: 'T <t@example.org>', Description: `${name} (test package)`, ...spec.control };
  writeFileSync(
    join(tree, 'DEBIAN/control'),
    `${Object.entries(fields)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}\n`,
  );
  if (spec.postinst) {
    writeFileSync(join(tree, 'DEBIAN/postinst'), spec.postinst);
    chmodSync(join(tree, 'DEBIAN/postinst'), 0o755);
  }
  for (const [path, text] of Object.entries(spec.files)) {
    mkdirSync(join(tree, path, '..'), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
  const deb = join(dir, `${name}_${version}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', tree, deb], { stdio: 'ignore' });
  return deb;
}

export interface RpmSpec {
  name: string;
  version: string;
  release?: string;
  requires?: string[];
  /** In-root path -> content. */
  files: Record<string, string>;
  post?: string;
}

/** Builds a noarch rpm with rpmbuild (as tools/rpm-test-repo does) into `dir`; returns its path. */
export function buildRpm(dir: string, spec: RpmSpec): string {
  const top = join(dir, `rpm-top-${spec.name}-${spec.version}`);
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  const install = Object.entries(spec.files).flatMap(([path, text]) => [
    `mkdir -p %{buildroot}${path.slice(0, path.lastIndexOf('/'))}`,
    `printf '%s\\n' '${text}' > %{buildroot}${path}`,
  ]);
  const text = [
    '%global debug_package %{nil}',
    `Name: ${spec.name}`,
    `Version: ${spec.version}`,
    `Release: ${spec.release ?? '1'}`,
    `Summary: ${spec.name}`,
    'License: MIT',
    'BuildArch: noarch',
    ...(spec.requires ?? []).map((r) => `Requires: ${r}`),
    '%description',
    spec.name,
    '%install',
    ...install,
    ...(spec.post ? ['%post', spec.post] : []),
    '%files',
    ...Object.keys(spec.files),
    '',
  ].join('\n');
  const file = join(top, 'SPECS', `${spec.name}.spec`);
  writeFileSync(file, text);
  const defines = ['_topdir ' + top, '_binary_payload w1.gzdio', '__os_install_post %{nil}', '_build_id_links none'];
  execFileSync('rpmbuild', ['-bb', '--quiet', ...defines.flatMap((d) => ['--define', d]), file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const [built] = readdirSync(join(top, 'RPMS', 'noarch'));
  const out = join(dir, built!);
  renameSync(join(top, 'RPMS', 'noarch', built!), out);
  return out;
}
