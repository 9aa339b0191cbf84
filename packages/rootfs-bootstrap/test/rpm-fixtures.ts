import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Synthetic rpm packages built with the host's rpmbuild, exercising every dependency form the
 * resolver handles. All noarch except df-arch (x86_64 and i686). Versions: df-lib 1.0, 2.0~rc1, 2.0.
 *
 *   df-app      Requires: /bin/sh (file provide), df-lib >= 2.0, (df-tls-openssl or df-tls-gnutls),
 *               (df-lang-en if df-locale), (df-plugin with df-plugin-abi = 2),
 *               (df-tls-gnutls if df-tls-gnutls else df-fallback); Requires(pre): df-base; Recommends: df-docs;
 *               Provides/Obsoletes df-oldapp; %post; a file owned by group dfgroup (gid 42)
 *   df-base     /bin/sh (the host's static busybox), /etc/passwd, /etc/group
 *   scriptlets  df-app %post writes /etc/df-configured; df-lib %post fails; df-docs %post is lua
 *   df-plugin-a Provides: df-plugin, df-plugin-abi = 1     df-plugin-b: df-plugin, df-plugin-abi = 2
 *   df-broken   Requires: df-missing >= 1 (needed by df-needs-broken)
 *   df-rival    Conflicts: df-tls-openssl
 *   df-filedep  Requires: /usr/share/df/plugin-a (a path only filelists.xml lists)
 */
const MAIN_SPEC = `
%global debug_package %{nil}
Name: df-app
Version: 2.0
Release: 1
Summary: app
License: MIT
BuildArch: noarch
Requires: /bin/sh
Requires: df-lib >= 2.0
Requires: (df-tls-openssl or df-tls-gnutls)
Requires: (df-lang-en if df-locale)
Requires: (df-plugin with df-plugin-abi = 2)
Requires: (df-tls-gnutls if df-tls-gnutls else df-fallback)
Requires(pre): df-base
Recommends: df-docs
Provides: df-oldapp = 2.0
Obsoletes: df-oldapp < 2.0
%description
app
%install
mkdir -p %{buildroot}/etc %{buildroot}/bin %{buildroot}/usr/share/df
printf 'secret\\n' > %{buildroot}/etc/df-app.conf
printf '#!/bin/sh\\necho hi\\n' > %{buildroot}/bin/df-app
printf 'base\\n' > %{buildroot}/usr/share/df/base
printf 'root:x:0:0:root:/root:/bin/sh\\ndfuser:x:41:42::/:/bin/sh\\n' > %{buildroot}/etc/passwd
printf 'root:x:0:\\ndfgroup:x:42:\\n' > %{buildroot}/etc/group
cp /bin/busybox %{buildroot}/bin/sh
for p in tls-openssl tls-gnutls lang-en locale plugin-a plugin-b fallback docs broken needs-broken rival filedep lib; do printf '%s\\n' $p > %{buildroot}/usr/share/df/$p; done
%post
echo "configured $1" > /etc/df-configured
%files
%attr(0640, root, dfgroup) /etc/df-app.conf
%attr(0755, root, root) /bin/df-app

%package -n df-base
Summary: base
%description -n df-base
base
%files -n df-base
%attr(0755, root, root) /bin/sh
/etc/passwd
/etc/group
/usr/share/df/base

${sub('df-tls-openssl')}
${sub('df-tls-gnutls')}
${sub('df-lang-en')}
${sub('df-locale')}
${sub('df-plugin-a', 'Provides: df-plugin\nProvides: df-plugin-abi = 1')}
${sub('df-plugin-b', 'Provides: df-plugin\nProvides: df-plugin-abi = 2')}
${sub('df-fallback')}
${sub('df-docs')}
%post -n df-docs -p <lua>
print("lua")

${sub('df-broken', 'Requires: df-missing >= 1')}
${sub('df-needs-broken', 'Requires: df-broken')}
${sub('df-rival', 'Conflicts: df-tls-openssl')}
${sub('df-filedep', 'Requires: /usr/share/df/plugin-a')}
${sub('df-lib')}
%post -n df-lib
exit 3

`;

function sub(name: string, extra = ''): string {
  const file = name.replace(/^df-/, '');
  return `%package -n ${name}\nSummary: ${name}\n${extra}\n%description -n ${name}\n${name}\n%files -n ${name}\n/usr/share/df/${file}\n`;
}

const simpleSpec = (name: string, version: string, arch: string, extra = ''): string => `
%global debug_package %{nil}
Name: ${name}
Version: ${version}
Release: 1
Summary: ${name}
License: MIT
${arch === 'noarch' ? 'BuildArch: noarch' : ''}
${extra}
%description
${name}
%install
mkdir -p %{buildroot}/usr/share/df-${name}
printf '%s\\n' ${version} > %{buildroot}/usr/share/df-${name}/version
%files
/usr/share/df-${name}/version
`;

/** Builds the fixture packages into `<dir>/rpms` (flat) and returns that folder. */
export async function buildFixtureRpms(): Promise<{ dir: string; rpms: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rootfs-bootstrap-rpm-'));
  const rpms = join(dir, 'rpms');
  await mkdir(rpms);
  const build = async (id: string, spec: string, target?: string): Promise<void> => {
    const top = join(dir, `top-${id}`);
    await mkdir(join(top, 'SPECS'), { recursive: true });
    const file = join(top, 'SPECS', `${id}.spec`);
    await writeFile(file, spec);
    await execa('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, '--define', '_binary_payload w1.gzdio', '--define', '_binaries_in_noarch_packages_terminate_build 0', ...(target ? ['--target', target] : []), file], { timeout: 120_000 });
    for (const arch of await readdir(join(top, 'RPMS'))) {
      for (const f of await readdir(join(top, 'RPMS', arch))) await rename(join(top, 'RPMS', arch, f), join(rpms, f));
    }
  };
  await Promise.all([
    build('main', MAIN_SPEC),
    build('old', simpleSpec('df-lib', '1.0', 'noarch', '')),
    build('rc', simpleSpec('df-lib', '2.0~rc1', 'noarch')),
    build('oldapp', simpleSpec('df-oldapp', '1.0', 'noarch')),
    build('arch64', simpleSpec('df-arch', '1.0', 'x86_64'), 'x86_64'),
    build('arch32', simpleSpec('df-arch', '1.0', 'i686'), 'i686'),
  ]);
  return { dir, rpms };
}
