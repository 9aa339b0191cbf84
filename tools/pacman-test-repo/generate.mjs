#!/usr/bin/env node
// Generates the pacman test repository: two repositories (`core`, `extra`, in that order) of small
// hand-made packages exercising what pacman's resolution reads — versioned dependencies, versioned
// and unversioned provides, conflicts, replaces, groups spanning both repositories, epochs, a name
// in both repositories, a virtual name with several providers. Debian's pacman ships neither
// makepkg's helpers nor a working repo-add, so .PKGINFO, .MTREE (bsdtar's mtree writer, as makepkg
// uses it) and the databases' desc files are written here and packed with bsdtar.
//
//   node tools/pacman-test-repo/generate.mjs OUTDIR     prints OUTDIR when it is ready
//
// OUTDIR/<repo>/ holds the packages and <repo>.db (core: gzip; extra: zstd, to exercise sniffing)
// plus <repo>.db.tar.{gz,zst}; OUTDIR/pacman.conf points Debian's pacman at them (SigLevel=Never).
// A bootable set rides along in core (`base` + `linux`): Debian's static busybox (init, getty,
// every applet), Debian's kernel with the modules the live initramfs needs, and the busybox init
// configuration (BOOT in this script).
// Cached by a digest of every input (OUTDIR/.inputs): this script, the repackaged host files, the
// busybox-static .deb, the kernel's files and the packing tools' versions; built beside OUTDIR and
// renamed into place.
// Needs: bsdtar (libarchive-tools), zstd, xz, gzip, dpkg-deb, apt-get (busybox-static when the apt
// cache lacks it) and tools/fetch-kernel.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, rename, rm, symlink, utimes, writeFile, lstat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOOT_MODULES, bootModuleFiles } from '../testing/boot-modules.mjs';
import { buildDirectory } from '../testing/build-directory.mjs';
import { withDirectoryLock } from '../testing/directory-lock.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

/** Build time of every package (and the mtime of every file in them): reproducible output. */
export const BUILD_DATE = 1_700_000_000;
export const REPOS = ['core', 'extra'];

/**
 * The packages. `files`: path -> content (a string; `{ link }` for a symlink; `mode` optional).
 * Each exists to make one resolution rule observable (see the comments).
 */
export const PACKAGES = [
  // Arch's layout: bin, sbin, usr/sbin -> usr/bin; lib, lib64 -> usr/lib; the mount points a
  // booted system needs; os-release.
  {
    repo: 'core',
    name: 'filesystem',
    version: '2024.04.07-1',
    arch: 'any',
    groups: ['base-meta'],
    files: {
      'etc/os-release': `NAME="Arch-like Linux"\nPRETTY_NAME="Arch-like Linux (distroforge pacman test)"\nID=arch\nBUILD_ID=rolling\n`,
      'usr/lib/.keep': '',
      'usr/bin': { dir: true, mode: 0o755 },
      'usr/share': { dir: true, mode: 0o755 },
      bin: { link: 'usr/bin' },
      sbin: { link: 'usr/bin' },
      'usr/sbin': { link: 'bin' },
      lib: { link: 'usr/lib' },
      lib64: { link: 'usr/lib' },
      boot: { dir: true, mode: 0o755 },
      dev: { dir: true, mode: 0o755 },
      home: { dir: true, mode: 0o755 },
      mnt: { dir: true, mode: 0o755 },
      proc: { dir: true, mode: 0o555 },
      root: { dir: true, mode: 0o750 },
      run: { dir: true, mode: 0o755 },
      sys: { dir: true, mode: 0o555 },
      tmp: { dir: true, mode: 0o1777 },
      'var/log': { dir: true, mode: 0o755 },
      'var/tmp': { dir: true, mode: 0o1777 },
    },
  },
  { repo: 'core', name: 'glibc', version: '2.39-2', depends: ['filesystem'], provides: ['libc.so=6-64'] },
  { repo: 'core', name: 'readline', version: '8.2.010-1', depends: ['glibc'] },
  // Two providers of `sh` (bash, dash): pacman picks the first by repository order, then name.
  {
    repo: 'core',
    name: 'bash',
    version: '5.2.026-2',
    depends: ['glibc', 'readline>=8.0'],
    provides: ['sh'],
    groups: ['shells'],
  },
  { repo: 'core', name: 'dash', version: '0.5.12-1', depends: ['glibc'], provides: ['sh'], groups: ['shells'] },
  // An epoch: 1:1.3.1 is newer than any 1.x without one.
  { repo: 'core', name: 'zlib', version: '1:1.3.1-1', depends: ['glibc'] },
  { repo: 'core', name: 'coreutils', version: '9.5-1', depends: ['glibc', 'zlib>=1:1.2'] },
  // A meta-package, like Arch's base.
  // base also brings the boot set's busybox and its init configuration (see BOOT).
  {
    repo: 'core',
    name: 'base',
    version: '3-2',
    arch: 'any',
    depends: ['filesystem', 'bash', 'coreutils', 'busybox', 'base-system'],
  },
  {
    repo: 'core',
    name: 'openssl',
    version: '3.3.0-1',
    depends: ['glibc'],
    provides: ['libcrypto.so=3-64', 'libssl.so=3-64'],
  },
  { repo: 'core', name: 'libfoo', version: '2.0-1', provides: ['libfoo.so=2-64'] },
  // Also in extra, newer there: the first repository wins.
  { repo: 'core', name: 'nano', version: '8.0-1', groups: ['editors'] },
  { repo: 'core', name: 'vi', version: '1:070224-6', groups: ['editors'] },
  { repo: 'core', name: 'oldtool', version: '1.0-1' },
  // Replaces and provides oldtool: only a versioned dependency oldtool>=1.5 leads to it.
  {
    repo: 'core',
    name: 'newtool',
    version: '2.0-1',
    replaces: ['oldtool'],
    conflicts: ['oldtool'],
    provides: ['oldtool=2.0'],
  },
  { repo: 'extra', name: 'nano', version: '8.1-1', groups: ['editors'] },
  {
    repo: 'extra',
    name: 'vim',
    version: '9.1.0-1',
    depends: ['glibc'],
    provides: ['vi=9.1'],
    conflicts: ['vi'],
    groups: ['editors'],
  },
  // Versioned provides: only libfoo satisfies libfoo.so=2-64.
  { repo: 'extra', name: 'libfoo-ng', version: '3.0-1', provides: ['libfoo.so=3-64'] },
  {
    repo: 'extra',
    name: 'app',
    version: '1.0-1',
    depends: ['libfoo.so=2-64', 'zlib>=1:1.2', 'sh', 'libcrypto.so>=3'],
    files: { 'usr/bin/app': { content: '#!/bin/sh\necho app\n', mode: 0o755 } },
  },
  { repo: 'extra', name: 'needs-oldtool', version: '1-1', depends: ['oldtool>=1.5'] },
  { repo: 'extra', name: 'needs-vi', version: '1-1', depends: ['vi>=9'] },
  // An unversioned provide does not satisfy a versioned dependency: sh>=1 is unsatisfiable.
  { repo: 'extra', name: 'needs-sh-version', version: '1-1', depends: ['sh>=1'] },
  { repo: 'extra', name: 'xorg-server', version: '21.1.13-1', groups: ['xorg'], depends: ['glibc'] },
  { repo: 'extra', name: 'xorg-xinit', version: '1.4.2-1', groups: ['xorg'], depends: ['xorg-server>=21'] },
  { repo: 'extra', name: 'conflict-a', version: '1-1', conflicts: ['conflict-b'] },
  { repo: 'extra', name: 'conflict-b', version: '1-1' },
  { repo: 'extra', name: 'needs-missing', version: '1-1', depends: ['does-not-exist'] },
  { repo: 'extra', name: 'needs-old-zlib', version: '1-1', depends: ['zlib<1:1.0'] },
  // What .INSTALL scripts and alpm hooks run with: the host's dash and its C library, repackaged
  // (busybox-free), behind filesystem's lib/lib64 -> usr/lib links.
  {
    repo: 'core',
    name: 'sh-runtime',
    version: '1.0-1',
    depends: ['filesystem'],
    files: {
      'usr/bin/sh': { host: '/bin/dash', mode: 0o755 },
      'usr/lib/libc.so.6': { host: '/lib/x86_64-linux-gnu/libc.so.6', mode: 0o755 },
      'usr/lib/ld-linux-x86-64.so.2': { host: '/lib64/ld-linux-x86-64.so.2', mode: 0o755 },
    },
  },
  // An .INSTALL script (pre_install sees its files absent, post_install adds a user and writes
  // into a directory owned by that user), owners and a setuid mode from the archive, a backup
  // file, xz compression.
  {
    repo: 'core',
    name: 'accounts',
    version: '1.0-1',
    depends: ['sh-runtime'],
    compression: 'xz',
    backup: ['etc/passwd'],
    files: {
      'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
      'etc/group': 'root:x:0:\n',
      'usr/bin/acct-tool': { content: '#!/bin/sh\necho acct\n', mode: 0o4755 },
      'var/lib/accounts': { dir: true, mode: 0o750, uid: 900, gid: 900 },
      'var/lib/accounts/seed': { content: 'seed\n', mode: 0o640, uid: 900, gid: 900 },
    },
    install: [
      'pre_install() {',
      '  if [ -e /etc/passwd ]; then echo "pre_install $1: passwd present"; else echo "pre_install $1: passwd absent"; fi >> /etc/script-log',
      '}',
      'post_install() {',
      '  echo "alpm:x:900:900::/var/lib/accounts:/usr/bin/nologin" >> /etc/passwd',
      '  echo "alpm:x:900:" >> /etc/group',
      '  echo "$1" > /var/lib/accounts/installed-version',
      '  echo "post_install $1" >> /etc/script-log',
      '}',
      '',
    ].join('\n'),
  },
  // alpm hooks (gzip compression, a .CHANGELOG): Path and Package triggers with globs and
  // negation, NeedsTargets, Depends, an override by name in /etc/pacman.d/hooks and a /dev/null mask.
  // Each hook appends to /etc/hook-log, so their order is observable.
  {
    repo: 'extra',
    name: 'hooked',
    version: '1.0-1',
    depends: ['sh-runtime'],
    compression: 'gz',
    changelog: '1.0-1: first\n',
    files: {
      'usr/share/hooked/a': 'a\n',
      'usr/share/hooked/b': 'b\n',
      'usr/share/hooked/skip-c': 'c\n',
      'usr/share/libalpm/hooks/40-packages.hook': hook(
        [
          '[Trigger]',
          'Type = Package',
          'Operation = Install',
          'Target = acc*',
          'Target = hooked',
          '',
          '[Trigger]',
          'Type = Package',
          'Operation = Install',
          'Target = sh-*',
          'Target = !sh-nothing',
        ],
        [
          'Description = packages installed',
          'When = PostTransaction',
          'Depends = sh-runtime',
          'NeedsTargets',
          'Exec = /usr/bin/sh -c \'while read -r t; do echo "40-packages: $t"; done >> /etc/hook-log\'',
        ],
      ),
      'usr/share/libalpm/hooks/50-paths.hook': hook(
        [
          '[Trigger]',
          'Type = Path',
          'Operation = Install',
          'Target = usr/share/hooked/*',
          'Target = !usr/share/hooked/skip-*',
        ],
        [
          'When = PostTransaction',
          'NeedsTargets',
          'Exec = /bin/sh -c \'while read -r t; do echo "50-paths: $t"; done >> /etc/hook-log\'',
        ],
      ),
      'usr/share/libalpm/hooks/45-override.hook': hook(
        ['[Trigger]', 'Type = Package', 'Operation = Install', 'Target = hooked'],
        ['When = PostTransaction', "Exec = /bin/sh -c 'echo 45-override: system >> /etc/hook-log'"],
      ),
      'etc/pacman.d/hooks/45-override.hook': hook(
        ['[Trigger]', 'Type = Package', 'Operation = Install', 'Target = hooked'],
        ['When = PostTransaction', "Exec = /bin/sh -c 'echo 45-override: etc >> /etc/hook-log'"],
      ),
      'usr/share/libalpm/hooks/60-masked.hook': hook(
        ['[Trigger]', 'Type = Package', 'Operation = Install', 'Target = *'],
        ['When = PostTransaction', "Exec = /bin/sh -c 'echo 60-masked: ran >> /etc/hook-log'"],
      ),
      'etc/pacman.d/hooks/60-masked.hook': { link: '/dev/null' },
      'usr/share/libalpm/hooks/70-no-match.hook': hook(
        ['[Trigger]', 'Type = Path', 'Operation = Install', 'Target = usr/share/nothing/*'],
        ['When = PostTransaction', "Exec = /bin/sh -c 'echo 70-no-match: ran >> /etc/hook-log'"],
      ),
      'usr/share/libalpm/hooks/80-stdin.hook': hook(
        ['[Trigger]', 'Type = Path', 'Operation = Install', 'Target = usr/share/hooked/*'],
        [
          'When = PostTransaction',
          'Exec = /bin/sh -c \'n=0; while read -r t; do n=1; done; echo "80-stdin: without targets $n" >> /etc/hook-log\'',
        ],
      ),
    },
  },
];

/** Host name, os-release id and the line rcS prints on the serial console once busybox init runs it. */
export const BOOT = {
  hostname: 'arch-like',
  id: 'arch',
  rcsMarker: 'arch-like rcS: busybox sh is up',
  request: ['base', 'linux'],
};

export { BOOT_MODULES };

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
echo "${BOOT.rcsMarker}: $PRETTY_NAME, kernel $(uname -r)"
`;

/**
 * The boot set's packages (core). `busybox` and `linux` take their versions from Debian's
 * busybox-static and kernel; their files are filled in at build time (`bootFiles`).
 */
function bootPackages(inputs) {
  return [
    // Debian's static busybox, every applet a link in usr/bin (Arch merges sbin there); its
    // usr/bin/sh is sh-runtime's too.
    {
      repo: 'core',
      name: 'busybox',
      version: archVersion(inputs.busyboxVersion),
      depends: ['filesystem'],
      conflicts: ['sh-runtime'],
    },
    // The busybox init configuration and the accounts (root without a password: the boot test
    // logs in on ttyS0); its /etc/passwd and /etc/group are accounts' too.
    {
      repo: 'core',
      name: 'base-system',
      version: '1.0-1',
      arch: 'any',
      depends: ['filesystem', 'busybox'],
      conflicts: ['accounts'],
      backup: ['etc/passwd', 'etc/group', 'etc/shadow', 'etc/hostname'],
      files: {
        'etc/hostname': `${BOOT.hostname}\n`,
        'etc/inittab': INITTAB,
        'etc/init.d/rcS': { content: RCS, mode: 0o755 },
        'etc/profile': 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/bin\n',
        'etc/shells': '/bin/sh\n/usr/bin/sh\n',
        'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
        'etc/group': 'root:x:0:root\n',
        'etc/shadow': { content: 'root::14871::::::\n', mode: 0o600 },
      },
    },
    // Debian's kernel in Arch's layout: usr/lib/modules/$VER/{vmlinuz,pkgbase} and the modules
    // (no modules.dep: the image's depmod writes it).
    { repo: 'core', name: 'linux', version: `${inputs.kernelVersion.replace(/-/g, '.')}-1`, depends: ['filesystem'] },
  ];
}

/** Debian version (`1:1.35.0-4+deb12u1+b1`) -> an Arch one (`1:1.35.0-4.12.1.1`): pkgrel is digits and dots. */
export function archVersion(debian) {
  const m = /^(?:(\d+):)?(.+?)(?:-([^-]+))?$/.exec(debian);
  const rel = (m[3] ?? '1').replace(/[^0-9]+/g, '.').replace(/^\.|\.$/g, '') || '1';
  return `${m[1] ? `${m[1]}:` : ''}${m[2].replace(/[^A-Za-z0-9._+]/g, '_')}-${rel}`;
}

/** The boot packages' files that come from Debian's binaries (busybox unpacked into `work`). */
async function bootFiles(pkg, inputs, work) {
  if (pkg.name === 'busybox') {
    const dir = join(work, '.busybox-deb');
    execFileSync('dpkg-deb', ['-x', inputs.busyboxDeb, dir]);
    const binary = join(dir, 'bin/busybox');
    const applets = [
      ...new Set(
        execFileSync(binary, ['--list-full'], { encoding: 'utf8' })
          .split('\n')
          .filter(Boolean)
          .map((a) => basename(a)),
      ),
    ]
      .filter((a) => a !== 'busybox')
      .sort();
    return {
      'usr/bin/busybox': { host: binary, mode: 0o755 },
      ...Object.fromEntries(applets.map((a) => [`usr/bin/${a}`, { link: 'busybox' }])),
    };
  }
  if (pkg.name === 'linux') {
    const v = inputs.kernelVersion;
    const files = {
      [`usr/lib/modules/${v}/vmlinuz`]: { host: join(inputs.kernelDir, 'boot', `vmlinuz-${v}`), mode: 0o644 },
      [`usr/lib/modules/${v}/pkgbase`]: 'linux\n',
    };
    for (const file of inputs.kernelFiles)
      files[`usr/lib/modules/${v}/${file}`] = { host: join(inputs.kernelDir, 'lib/modules', v, file), mode: 0o644 };
    return files;
  }
  return pkg.files;
}

/** The module files (relative to lib/modules/$VER) of BOOT_MODULES' closure, and the builtin lists depmod reads. */
async function kernelModuleFiles(modules) {
  return [...(await bootModuleFiles(modules)), 'modules.builtin', 'modules.builtin.modinfo', 'modules.order'].sort();
}

/** Debian's busybox-static .deb: from the apt cache (or the rpm test repository's download), else downloaded once into .cache/pacman-test-repo/debs. */
async function findBusyboxDeb() {
  const own = join(repoRoot, '.cache/pacman-test-repo/debs');
  for (const dir of ['/var/cache/apt/archives', join(repoRoot, '.cache/rpm-test-repo/debs'), own]) {
    const found = (await readdir(dir).catch(() => [])).filter((f) => /^busybox-static_.*_amd64\.deb$/.test(f)).sort();
    if (found.length > 0) return join(dir, found.at(-1));
  }
  await mkdir(own, { recursive: true });
  execFileSync('apt-get', ['download', '-qq', 'busybox-static'], { cwd: own, stdio: ['ignore', 'ignore', 'inherit'] });
  const found = (await readdir(own)).filter((f) => f.startsWith('busybox-static_')).sort();
  if (found.length === 0) throw new Error('pacman-test-repo: apt-get download busybox-static produced no .deb');
  return join(own, found.at(-1));
}

/**
 * Every input of the build and their digest: this script, the repackaged host files, the
 * busybox-static .deb, the kernel's vmlinuz and module files, and the versions of the tools whose
 * output lands in the repository (bsdtar, zstd, xz, gzip).
 */
async function collectInputs() {
  const kernelDir = execFileSync(join(repoRoot, 'tools/fetch-kernel'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
  const kernelVersion = (await readFile(join(kernelDir, '.version'), 'utf8')).trim();
  const kernelFiles = await kernelModuleFiles(join(kernelDir, 'lib/modules', kernelVersion));
  const busyboxDeb = await findBusyboxDeb();
  const busyboxVersion = execFileSync('dpkg-deb', ['-f', busyboxDeb, 'Version'], { encoding: 'utf8' }).trim();
  const hash = createHash('sha256');
  hash.update(await readFile(fileURLToPath(import.meta.url)));
  for (const pkg of PACKAGES)
    for (const spec of Object.values(pkg.files ?? {}))
      if (typeof spec === 'object' && spec.host) hash.update(await readFile(spec.host));
  hash.update(await readFile(busyboxDeb));
  hash.update(`${kernelVersion}\0${kernelFiles.join(',')}\0`);
  hash.update(await readFile(join(kernelDir, 'boot', `vmlinuz-${kernelVersion}`)));
  for (const file of kernelFiles) hash.update(await readFile(join(kernelDir, 'lib/modules', kernelVersion, file)));
  for (const tool of [
    ['bsdtar', '--version'],
    ['zstd', '--version'],
    ['xz', '--version'],
    ['gzip', '--version'],
  ])
    hash.update(execFileSync(tool[0], tool.slice(1), { encoding: 'utf8' }));
  return { key: hash.digest('hex'), kernelDir, kernelVersion, kernelFiles, busyboxDeb, busyboxVersion };
}

function hook(triggers, action) {
  return `${[...triggers, '', '[Action]', ...action].join('\n')}\n`;
}

const PACKAGER = 'distroforge tests <tests@distroforge.invalid>';

/** Builds (or reuses) the repositories in `outDir`. */
export async function generatePacmanTestRepo(outDir, options = {}) {
  const log = options.log ?? (() => {});
  const out = resolve(outDir);
  const inputs = await collectInputs();
  const key = inputs.key;
  const stamp = join(out, '.inputs');
  const ready = async () => (await readFile(stamp, 'utf8').catch(() => '')).trim() === key;
  if (await ready()) return describe(out, inputs);
  // One builder at a time: a second build renamed over the first would swap the packages under a
  // test that already read the first one's database (checksum errors).
  return withDirectoryLock(out, async () => ((await ready()) ? describe(out, inputs) : build(out, inputs, log)));
}

async function build(out, inputs, log) {
  const key = inputs.key;
  const packages = allPackages(inputs);
  await buildDirectory(out, key, async (work) => {
    log(`pacman-test-repo: building in ${work}`);
    for (const repo of REPOS) {
      const repoDir = join(work, repo);
      const dbDir = join(work, `.db-${repo}`);
      await mkdir(repoDir, { recursive: true });
      await mkdir(dbDir, { recursive: true });
      const folders = [];
      for (const pkg of packages.filter((p) => p.repo === repo)) {
        const files = await bootFiles(pkg, inputs, work);
        const built = await buildPackage({ ...pkg, files }, join(work, `.stage-${repo}-${pkg.name}`), repoDir);
        const folder = `${pkg.name}-${pkg.version}`;
        await mkdir(join(dbDir, folder));
        await writeFile(join(dbDir, folder, 'desc'), desc(pkg, built));
        folders.push(folder);
      }
      const tar = execFileSync(
        'bsdtar',
        ['-cf', '-', '--uid', '0', '--gid', '0', '--uname', 'root', '--gname', 'root', '-C', dbDir, ...folders],
        { maxBuffer: 1 << 28 },
      );
      const [suffix, compressor] = repo === 'core' ? ['gz', ['gzip', '-9nc']] : ['zst', ['zstd', '-19', '-q', '-c']];
      const compressed = execFileSync(compressor[0], compressor.slice(1), { input: tar, maxBuffer: 1 << 28 });
      await writeFile(join(repoDir, `${repo}.db.tar.${suffix}`), compressed);
      await symlink(`${repo}.db.tar.${suffix}`, join(repoDir, `${repo}.db`));
      await rm(dbDir, { recursive: true });
    }
    await rm(join(work, '.busybox-deb'), { recursive: true, force: true });
    await writeFile(join(work, 'pacman.conf'), pacmanConf(out));
  });
  return describe(out, inputs);
}

/** The table's packages and the boot set's. */
function allPackages(inputs) {
  return [...PACKAGES, ...bootPackages(inputs)];
}

function describe(out, inputs) {
  return {
    dir: out,
    config: join(out, 'pacman.conf'),
    repos: REPOS.map((name) => ({ name, dir: join(out, name), db: join(out, name, `${name}.db`) })),
    packages: allPackages(inputs),
    boot: {
      request: [...BOOT.request],
      kernelVersion: inputs.kernelVersion,
      busyboxVersion: inputs.busyboxVersion,
      hostname: BOOT.hostname,
      rcsMarker: BOOT.rcsMarker,
    },
  };
}

/** A pacman.conf for Debian's pacman: the repositories in order, no signature checks. */
export function pacmanConf(out) {
  return `[options]\nArchitecture = x86_64\nSigLevel = Never\n\n${REPOS.map((r) => `[${r}]\nSigLevel = Never\nServer = file://${join(out, r)}\n`).join('\n')}`;
}

/**
 * Packs one package into `repoDir` from `pkg.files` (staged in `stage`), or from `pkg.tree`, a
 * directory already holding its files (moved to `stage`; modes and owners as they are there).
 * Returns what the database's desc records of it.
 */
export async function buildPackage(pkg, stage, repoDir) {
  /** In-package path -> { mode, uid, gid } where the table sets them (the rest is root's, 0644/0755). */
  const attributes = new Map();
  if (pkg.tree) {
    await mkdir(dirname(stage), { recursive: true });
    await rename(pkg.tree, stage);
    for (const path of (await readdir(stage)).sort().flatMap((m) => listTree(stage, m))) {
      const stats = await lstat(join(stage, path));
      if (!stats.isSymbolicLink()) attributes.set(path, { mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid });
    }
  } else await mkdir(stage, { recursive: true });
  const files = pkg.tree ? {} : (pkg.files ?? { [`usr/share/${pkg.name}/VERSION`]: `${pkg.name} ${pkg.version}\n` });
  for (const [path, spec] of Object.entries(files)) {
    const target = join(stage, path);
    await mkdir(dirname(target), { recursive: true });
    if (typeof spec === 'object' && 'link' in spec) await symlink(spec.link, target);
    else if (typeof spec === 'object' && spec.dir) await mkdir(target, { recursive: true });
    else if (typeof spec === 'object' && spec.host) await writeFile(target, await readFile(spec.host));
    else await writeFile(target, typeof spec === 'string' ? spec : spec.content);
    if (typeof spec === 'object' && !('link' in spec))
      attributes.set(path, { mode: spec.mode, uid: spec.uid ?? 0, gid: spec.gid ?? 0 });
  }
  const members = (await readdir(stage)).sort();
  const installedSize = await treeSize(stage);
  const tree = members.flatMap((m) => listTree(stage, m));
  const meta = ['.PKGINFO'];
  await writeFile(join(stage, '.PKGINFO'), pkginfo(pkg, installedSize));
  if (pkg.install) {
    await writeFile(join(stage, '.INSTALL'), pkg.install);
    meta.push('.INSTALL');
  }
  if (pkg.changelog) {
    await writeFile(join(stage, '.CHANGELOG'), pkg.changelog);
    meta.push('.CHANGELOG');
  }
  // bsdtar reads the members from an mtree description, so owners and modes are the table's
  // whoever runs this (no chown needed) and names carry no ./ prefix.
  const specLines = async (paths) => {
    const lines = ['#mtree'];
    for (const path of paths) {
      const stats = await lstat(join(stage, path));
      const set = attributes.get(path) ?? {};
      const uid = set.uid ?? 0;
      const gid = set.gid ?? 0;
      const type = stats.isSymbolicLink() ? 'link' : stats.isDirectory() ? 'dir' : 'file';
      const mode = set.mode ?? (type === 'link' ? 0o777 : type === 'dir' ? 0o755 : 0o644);
      const words = [
        path,
        `type=${type}`,
        `uid=${uid}`,
        `gid=${gid}`,
        ...(uid === 0 ? ['uname=root'] : []),
        ...(gid === 0 ? ['gname=root'] : []),
        `mode=${mode.toString(8).padStart(4, '0')}`,
        `time=${BUILD_DATE}`,
      ];
      if (type === 'link') words.push(`link=${await readlink(join(stage, path))}`);
      if (type === 'file') words.push(`contents=${path}`);
      lines.push(words.join(' '));
      // A name without a slash is relative in mtree: a directory's enters it, `..` leaves it.
      if (type === 'dir' && !path.includes('/')) lines.push('..');
    }
    return `${lines.join('\n')}\n`;
  };
  await writeFile(join(stage, '..spec-mtree'), await specLines([...meta, ...tree]));
  // The mtree of the package as makepkg writes it (gzip-compressed, the dot-files and the files).
  execFileSync(
    'bsdtar',
    [
      '-czf',
      '.MTREE',
      '--format=mtree',
      '--options=!all,use-set,type,uid,gid,mode,time,size,md5,sha256,link',
      '@..spec-mtree',
    ],
    { cwd: stage },
  );
  await utimes(join(stage, '.MTREE'), BUILD_DATE, BUILD_DATE);
  await writeFile(join(stage, '..spec-tar'), await specLines(['.MTREE', ...meta, ...tree]));
  const arch = pkg.arch ?? 'x86_64';
  const compression = pkg.compression ?? 'zst';
  const filename = `${pkg.name}-${pkg.version}-${arch}.pkg.tar.${compression}`;
  const tar = execFileSync('bsdtar', ['-cf', '-', '@..spec-tar'], { cwd: stage, maxBuffer: 1 << 28 });
  // Large packages (busybox, linux) at a quicker zstd level: the repository is rebuilt when an input changes.
  const compressor = {
    zst: ['zstd', tar.length > 1 << 21 ? '-6' : '-19', '-q', '-c', '-T0'],
    xz: ['xz', '-6', '-c', '-T1'],
    gz: ['gzip', '-9nc'],
  }[compression];
  const data = execFileSync(compressor[0], compressor.slice(1), { input: tar, maxBuffer: 1 << 28 });
  await writeFile(join(repoDir, filename), data);
  await rm(stage, { recursive: true });
  return {
    filename,
    installedSize,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    md5: createHash('md5').update(data).digest('hex'),
  };
}

/** Paths under `member` (itself first), sorted: bsdtar -n adds each without recursing, in this order. */
function listTree(stage, member) {
  const out = execFileSync('find', [member], { cwd: stage, encoding: 'utf8' });
  return out.split('\n').filter(Boolean).sort();
}

async function treeSize(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(path);
    else total += (await lstat(path)).size;
  }
  return total;
}

async function touchTree(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await touchTree(path);
    if (!entry.isSymbolicLink()) await utimes(path, BUILD_DATE, BUILD_DATE);
  }
  await utimes(dir, BUILD_DATE, BUILD_DATE);
}

function pkginfo(pkg, installedSize) {
  const lines = [
    '# Generated by distroforge tools/pacman-test-repo',
    `pkgname = ${pkg.name}`,
    `pkgbase = ${pkg.name}`,
    `pkgver = ${pkg.version}`,
    `pkgdesc = ${pkg.name} (distroforge test package)`,
    `url = https://distroforge.invalid/${pkg.name}`,
    `builddate = ${BUILD_DATE}`,
    `packager = ${PACKAGER}`,
    `size = ${installedSize}`,
    `arch = ${pkg.arch ?? 'x86_64'}`,
    'license = MIT',
    ...(pkg.groups ?? []).map((g) => `group = ${g}`),
    ...(pkg.replaces ?? []).map((d) => `replaces = ${d}`),
    ...(pkg.conflicts ?? []).map((d) => `conflict = ${d}`),
    ...(pkg.provides ?? []).map((d) => `provides = ${d}`),
    ...(pkg.depends ?? []).map((d) => `depend = ${d}`),
    ...(pkg.backup ?? []).map((f) => `backup = ${f}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The sync database's desc of a package `buildPackage` packed. */
export function desc(pkg, built) {
  const blocks = [
    ['FILENAME', [built.filename]],
    ['NAME', [pkg.name]],
    ['BASE', [pkg.name]],
    ['VERSION', [pkg.version]],
    ['DESC', [`${pkg.name} (distroforge test package)`]],
    ['GROUPS', pkg.groups ?? []],
    ['CSIZE', [String(built.size)]],
    ['ISIZE', [String(built.installedSize)]],
    ['MD5SUM', [built.md5]],
    ['SHA256SUM', [built.sha256]],
    ['URL', [`https://distroforge.invalid/${pkg.name}`]],
    ['LICENSE', ['MIT']],
    ['ARCH', [pkg.arch ?? 'x86_64']],
    ['BUILDDATE', [String(BUILD_DATE)]],
    ['PACKAGER', [PACKAGER]],
    ['REPLACES', pkg.replaces ?? []],
    ['CONFLICTS', pkg.conflicts ?? []],
    ['PROVIDES', pkg.provides ?? []],
    ['DEPENDS', pkg.depends ?? []],
  ];
  return blocks
    .filter(([, values]) => values.length)
    .map(([key, values]) => `%${key}%\n${values.join('\n')}\n\n`)
    .join('');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: generate.mjs OUTDIR');
    process.exit(2);
  }
  const repo = await generatePacmanTestRepo(outDir, { log: (line) => console.error(line) });
  console.log(repo.dir);
}
