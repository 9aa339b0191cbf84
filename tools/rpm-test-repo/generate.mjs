#!/usr/bin/env node
// Generates the rpm test repository: synthetic packages exercising every dependency form the
// rootfs-bootstrap rpm resolver handles, plus a bootable "rocky-like" set (filesystem,
// rocky-like-release, Debian's static busybox, Debian's kernel) and comps.xml groups, built with
// rpmbuild and indexed with createrepo_c. The folder works as `rpm-dir:OUTDIR` and `rpm-repo:OUTDIR`.
//
//   node tools/rpm-test-repo/generate.mjs OUTDIR     prints OUTDIR when it is ready
//
// Cached: OUTDIR/.inputs holds a digest of every input (this script, the busybox-static .deb, the
// kernel, rpmbuild's version); a second run with the same inputs returns at once. The folder is
// built beside OUTDIR and renamed into place, so a half-built repository is never seen; OUTDIR.lock
// makes concurrent callers wait for one build.
// Needs: rpmbuild (rpm), createrepo_c, dpkg-deb, depmod (kmod), apt-get (busybox-static download
// when the apt cache lacks it) and tools/fetch-kernel.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDirectoryLock } from '../testing/directory-lock.mjs';
import { EL_SYSTEM_PACKAGES } from './el-system-packages.mjs';
import { bootChainKey, bootChainPackages } from './boot-chain.mjs';

import { BOOT_MODULES, bootModuleFiles } from '../testing/boot-modules.mjs';

export { BOOT_MODULES };

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

/** The packages of comps group `minimal` (the boot set). */
export const MINIMAL_GROUP = ['filesystem', 'rocky-like-release', 'busybox', 'kernel'];

/** Host name, os-release id and the line rcS prints on the serial console once busybox init runs it. */
export const ROCKY_LIKE = { hostname: 'rocky-like', id: 'rocky-like', rcsMarker: 'rocky-like rcS: busybox sh is up' };

/**
 * Builds (or reuses) the repository in `outDir`; returns facts about it.
 * @param {string} outDir
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function generateRpmTestRepo(outDir, options = {}) {
  const log = options.log ?? (() => {});
  const out = resolve(outDir);
  const inputs = await collectInputs();
  const key = inputs.key;
  const stamp = join(out, '.inputs');
  const ready = async () => (await readFile(stamp, 'utf8').catch(() => '')).trim() === key;
  if (await ready()) return describe(out, inputs);

  // One builder at a time (test files run in parallel): the others wait for its result.
  await withDirectoryLock(out, async () => {
    if (!(await ready())) await build(out, inputs, log);
  });
  log(`rpm-test-repo: ${out}`);
  return describe(out, inputs);
}

async function build(out, inputs, log) {
  const key = inputs.key;
  const work = await mkdtemp(`${out}.tmp-`);
  try {
    const repo = join(work, 'repo');
    await mkdir(repo);
    log(`rpm-test-repo: building packages in ${work}`);
    const busybox = await unpackBusybox(inputs.busyboxDeb, join(work, 'busybox'));
    const kernelStage = await stageKernel(inputs.kernelDir, inputs.kernelVersion, join(work, 'kernel'));
    const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    const builds = await Promise.allSettled([
      rpmbuild(work, repo, 'main', MAIN_SPEC),
      rpmbuild(work, repo, 'old', simpleSpec('df-lib', '1.0', 'noarch')),
      rpmbuild(work, repo, 'rc', simpleSpec('df-lib', '2.0~rc1', 'noarch')),
      rpmbuild(work, repo, 'oldapp', simpleSpec('df-oldapp', '1.0', 'noarch')),
      rpmbuild(work, repo, 'arch64', simpleSpec('df-arch', '1.0', 'x86_64'), 'x86_64'),
      rpmbuild(work, repo, 'arch32', simpleSpec('df-arch', '1.0', 'i686'), 'i686'),
      rpmbuild(work, repo, 'filesystem', FILESYSTEM_SPEC),
      rpmbuild(work, repo, 'release', RELEASE_SPEC),
      rpmbuild(work, repo, 'busybox', busyboxSpec(inputs.busyboxVersion, busybox, applets), 'x86_64'),
      rpmbuild(work, repo, 'kernel', kernelSpec(inputs.kernelVersion, kernelStage), 'x86_64'),
      ...EL_SYSTEM_PACKAGES.map((p) => rpmbuild(work, repo, p.id, p.spec)),
      ...bootChainPackages().map((p) => rpmbuild(work, repo, p.id, p.spec, p.arch === 'noarch' ? undefined : p.arch)),
    ]);
    const failed = builds.find((b) => b.status === 'rejected');
    if (failed) throw failed.reason;
    await writeFile(join(repo, 'comps.xml'), COMPS_XML);
    execFileSync('createrepo_c', ['--quiet', '-g', join(repo, 'comps.xml'), repo], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await writeFile(join(repo, '.inputs'), `${key}\n`);
    await rm(out, { recursive: true, force: true });
    await rename(repo, out);
  } finally {
    await rm(work, { recursive: true, force: true, maxRetries: 3 });
  }
}

function describe(out, inputs) {
  return {
    dir: out,
    kernelVersion: inputs.kernelVersion,
    busyboxVersion: inputs.busyboxVersion,
    minimalGroup: [...MINIMAL_GROUP],
  };
}

async function collectInputs() {
  const kernelDir = execFileSync(join(repoRoot, 'tools/fetch-kernel'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
  const kernelVersion = (await readFile(join(kernelDir, '.version'), 'utf8')).trim();
  const vmlinuz = await stat(join(kernelDir, 'boot', `vmlinuz-${kernelVersion}`));
  const busyboxDeb = await findBusyboxDeb();
  const busyboxVersion = execFileSync('dpkg-deb', ['-f', busyboxDeb, 'Version'], { encoding: 'utf8' }).trim();
  const rpmbuildVersion = execFileSync('rpmbuild', ['--version'], { encoding: 'utf8' }).trim();
  const hash = createHash('sha256');
  hash.update(await readFile(fileURLToPath(import.meta.url)));
  hash.update(await readFile(join(here, 'el-system-packages.mjs')));
  hash.update(await bootChainKey());
  hash.update(await readFile(busyboxDeb));
  hash.update(`${kernelVersion}\0${vmlinuz.size}\0${rpmbuildVersion}\0${BOOT_MODULES.join(',')}`);
  return { key: hash.digest('hex'), kernelDir, kernelVersion, busyboxDeb, busyboxVersion };
}

/** Debian's busybox-static .deb: from the apt cache, else downloaded once into .cache/rpm-test-repo. */
async function findBusyboxDeb() {
  for (const dir of ['/var/cache/apt/archives', join(repoRoot, '.cache/rpm-test-repo/debs')]) {
    const found = (await readdir(dir).catch(() => [])).filter((f) => /^busybox-static_.*_amd64\.deb$/.test(f)).sort();
    if (found.length > 0) return join(dir, found.at(-1));
  }
  const dir = join(repoRoot, '.cache/rpm-test-repo/debs');
  await mkdir(dir, { recursive: true });
  execFileSync('apt-get', ['download', '-qq', 'busybox-static'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const found = (await readdir(dir)).filter((f) => f.startsWith('busybox-static_')).sort();
  if (found.length === 0) throw new Error('rpm-test-repo: apt-get download busybox-static produced no .deb');
  return join(dir, found.at(-1));
}

async function unpackBusybox(deb, dir) {
  execFileSync('dpkg-deb', ['-x', deb, dir]);
  return join(dir, 'bin/busybox');
}

/** Copies vmlinuz, config and the closure of BOOT_MODULES, then lets depmod write matching index files. */
async function stageKernel(kernelDir, version, stage) {
  const modules = join(kernelDir, 'lib/modules', version);
  const wanted = await bootModuleFiles(modules);
  const target = join(stage, 'lib/modules', version);
  for (const file of wanted) {
    await mkdir(dirname(join(target, file)), { recursive: true });
    await cp(join(modules, file), join(target, file));
  }
  for (const file of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order'])
    await cp(join(modules, file), join(target, file));
  execFileSync('depmod', ['-b', stage, version], {
    env: { ...process.env, PATH: `${process.env.PATH}:/sbin:/usr/sbin` },
  });
  await mkdir(join(stage, 'boot'));
  for (const file of [`vmlinuz-${version}`, `config-${version}`])
    await cp(join(kernelDir, 'boot', file), join(stage, 'boot', file));
  return stage;
}

const run = promisify(execFile);

async function rpmbuild(work, repo, id, spec, target) {
  const top = join(work, `top-${id}`);
  await mkdir(join(top, 'SPECS'), { recursive: true });
  const file = join(top, 'SPECS', `${id}.spec`);
  await writeFile(file, spec);
  const defines = [
    '_topdir ' + top,
    '_binary_payload w1.gzdio',
    '_binaries_in_noarch_packages_terminate_build 0',
    '__os_install_post %{nil}',
    '_build_id_links none',
  ];
  const args = [
    '-bb',
    '--quiet',
    ...defines.flatMap((d) => ['--define', d]),
    ...(target ? ['--target', target] : []),
    file,
  ];
  await run('rpmbuild', args).catch((error) => {
    throw new Error(`rpm-test-repo: rpmbuild ${id} failed:\n${error.stderr ?? error.message}`);
  });
  for (const arch of await readdir(join(top, 'RPMS'))) {
    for (const f of await readdir(join(top, 'RPMS', arch))) await rename(join(top, 'RPMS', arch, f), join(repo, f));
  }
}

/**
 * The dependency-form packages (all noarch except df-arch, built for x86_64 and i686).
 * df-lib comes in 1.0, 2.0~rc1 and 2.0.
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

function sub(name, extra = '') {
  const file = name.replace(/^df-/, '');
  return `%package -n ${name}\nSummary: ${name}\n${extra}\n%description -n ${name}\n${name}\n%files -n ${name}\n/usr/share/df/${file}\n`;
}

function simpleSpec(name, version, arch) {
  return `
%global debug_package %{nil}
Name: ${name}
Version: ${version}
Release: 1
Summary: ${name}
License: MIT
${arch === 'noarch' ? 'BuildArch: noarch' : ''}
%description
${name}
%install
mkdir -p %{buildroot}/usr/share/df-${name}
printf '%s\\n' ${version} > %{buildroot}/usr/share/df-${name}/version
%files
/usr/share/df-${name}/version
`;
}

const DIRS = [
  'bin',
  'sbin',
  'lib',
  'etc',
  'etc/init.d',
  'dev',
  'mnt',
  'home',
  'run',
  'var',
  'var/log',
  'var/tmp',
  'usr',
  'usr/bin',
  'usr/sbin',
  'usr/lib',
  'usr/share',
  'boot',
];

/** The directory skeleton and the accounts (root without a password: the test logs in on ttyS0). */
const FILESYSTEM_SPEC = `
%global debug_package %{nil}
Name: filesystem
Version: 3.18
Release: 1
Summary: The basic directory layout
License: Public Domain
BuildArch: noarch
AutoReqProv: no
%description
The basic directory layout of the rocky-like test system.
%install
mkdir -p ${DIRS.map((d) => `%{buildroot}/${d}`).join(' ')} %{buildroot}/proc %{buildroot}/sys %{buildroot}/tmp %{buildroot}/root
printf 'root::0:0:root:/root:/bin/sh\\n' > %{buildroot}/etc/passwd
printf 'root:x:0:\\n' > %{buildroot}/etc/group
printf '/bin/sh\\n' > %{buildroot}/etc/shells
%files
%defattr(-, root, root, 0755)
${DIRS.map((d) => `%dir /${d}`).join('\n')}
%attr(0555, root, root) %dir /proc
%attr(0555, root, root) %dir /sys
%attr(1777, root, root) %dir /tmp
%attr(0700, root, root) %dir /root
%attr(0644, root, root) /etc/passwd
%attr(0644, root, root) /etc/group
%attr(0644, root, root) /etc/shells
`;

const INITTAB = `::sysinit:/etc/init.d/rcS
ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/umount -a -r
`;

const RCS = `#!/bin/sh
# Run by busybox init (::sysinit). The live initramfs may already have mounted these.
[ -e /proc/mounts ] || mount -t proc proc /proc
[ -d /sys/kernel ] || mount -t sysfs sysfs /sys
[ -c /dev/ttyS0 ] || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null
hostname -F /etc/hostname
. /etc/os-release
echo "${ROCKY_LIKE.rcsMarker}: $PRETTY_NAME, kernel $(uname -r)"
`;

const RELEASE_SPEC = `
%global debug_package %{nil}
Name: rocky-like-release
Version: 10.0
Release: 1
Summary: rocky-like release files
License: MIT
BuildArch: noarch
AutoReqProv: no
Requires: filesystem
Provides: system-release = 10.0
Provides: system-release(releasever) = 10
%description
os-release, host name and busybox init configuration of the rocky-like test system.
%install
mkdir -p %{buildroot}/etc/init.d %{buildroot}/usr/lib
cat > %{buildroot}/usr/lib/os-release <<'EOF'
NAME="Rocky-like Linux"
ID=${ROCKY_LIKE.id}
ID_LIKE="rhel centos fedora"
VERSION_ID=10.0
VERSION="10.0 (distroforge test)"
PRETTY_NAME="Rocky-like Linux 10.0"
EOF
ln -s ../usr/lib/os-release %{buildroot}/etc/os-release
printf '${ROCKY_LIKE.hostname}\\n' > %{buildroot}/etc/hostname
cat > %{buildroot}/etc/inittab <<'EOF'
${INITTAB}EOF
cat > %{buildroot}/etc/init.d/rcS <<'EOF'
${RCS}EOF
cat > %{buildroot}/etc/profile <<'EOF'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
EOF
%files
%defattr(0644, root, root, 0755)
/usr/lib/os-release
/etc/os-release
/etc/hostname
/etc/inittab
/etc/profile
%attr(0755, root, root) /etc/init.d/rcS
`;

/** Debian's static busybox with every applet linked where `busybox --list-full` puts it. */
function busyboxSpec(debVersion, binary, applets) {
  const m = /^(?:(\d+):)?([^-]+)(?:-(.+))?$/.exec(debVersion);
  const links = applets.filter((a) => a.includes('/') && a !== 'bin/busybox');
  const relative = (a) => `${'../'.repeat(a.split('/').length - 1)}bin/busybox`;
  return `
%global debug_package %{nil}
Name: busybox
Epoch: ${m[1] ?? 0}
Version: ${m[2]}
Release: ${(m[3] ?? '1').replace(/[-+~]/g, '.')}
Summary: Debian's static busybox
License: GPL-2.0-only
AutoReqProv: no
Requires: filesystem
%description
Debian's busybox-static ${debVersion}, repackaged for the rootfs-bootstrap rpm tests.
%install
mkdir -p %{buildroot}/bin %{buildroot}/sbin %{buildroot}/usr/bin %{buildroot}/usr/sbin
install -m 0755 ${binary} %{buildroot}/bin/busybox
${links.map((a) => `ln -s ${a.startsWith('bin/') ? 'busybox' : relative(a)} %{buildroot}/${a}`).join('\n')}
%files
%attr(0755, root, root) /bin/busybox
${links.map((a) => `/${a}`).join('\n')}
`;
}

/** Debian's kernel (vmlinuz, config, BOOT_MODULES and their dependencies). */
function kernelSpec(version, stage) {
  return `
%global debug_package %{nil}
Name: kernel
Version: ${version.replace(/-/g, '_')}
Release: 1
Summary: Debian's kernel ${version}
License: GPL-2.0-only
AutoReqProv: no
Requires: filesystem
Provides: kernel-uname-r = ${version.replace(/-/g, '_')}
Provides: kernel-core = ${version.replace(/-/g, '_')}
%description
Debian's kernel ${version} with the modules a live or 9p boot needs.
%install
mkdir -p %{buildroot}/boot %{buildroot}/lib/modules
cp ${stage}/boot/* %{buildroot}/boot/
cp -r ${stage}/lib/modules/${version} %{buildroot}/lib/modules/
%files
%defattr(0644, root, root, 0755)
/boot/vmlinuz-${version}
/boot/config-${version}
/lib/modules/${version}
`;
}

const req = (type, name, extra = '') => `      <packagereq type="${type}"${extra}>${name}</packagereq>`;

/**
 * Groups: `minimal` (the boot set, all mandatory), `core` (minimal's release + busybox as
 * mandatory, kernel as default, df-docs optional) and `df-tools` (every packagereq type, including
 * a conditional one and a name no package has).
 */
const COMPS_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>core</id>
    <name>Core</name>
    <description>Smallest possible installation</description>
    <default>true</default>
    <uservisible>false</uservisible>
    <packagelist>
${req('mandatory', 'rocky-like-release')}
${req('mandatory', 'busybox')}
${req('default', 'kernel')}
${req('optional', 'df-docs')}
    </packagelist>
  </group>
  <group>
    <id>minimal</id>
    <name>Minimal boot</name>
    <description>What boots to a busybox shell on ttyS0</description>
    <default>true</default>
    <uservisible>true</uservisible>
    <packagelist>
${MINIMAL_GROUP.map((n) => req('mandatory', n)).join('\n')}
    </packagelist>
  </group>
  <group>
    <id>df-tools</id>
    <name>Distroforge test tools</name>
    <description>Every packagereq type</description>
    <default>false</default>
    <uservisible>true</uservisible>
    <packagelist>
${req('mandatory', 'df-app')}
${req('default', 'df-locale')}
${req('optional', 'df-tls-openssl')}
${req('optional', 'df-fallback')}
${req('conditional', 'df-plugin-a', ' requires="df-arch"')}
${req('default', 'df-not-in-repo')}
    </packagelist>
  </group>
</comps>
`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outDir] = process.argv.slice(2);
  if (!outDir) {
    process.stderr.write('usage: node tools/rpm-test-repo/generate.mjs OUTDIR\n');
    process.exit(2);
  }
  const result = await generateRpmTestRepo(outDir, { log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${result.dir}\n`);
}
