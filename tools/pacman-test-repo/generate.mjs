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
// Cached by a digest of this script (OUTDIR/.inputs); built beside OUTDIR and renamed into place.
// Needs: bsdtar (libarchive-tools), zstd, gzip.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink, utimes, writeFile, lstat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDirectoryLock } from '../testing/directory-lock.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Build time of every package (and the mtime of every file in them): reproducible output. */
export const BUILD_DATE = 1_700_000_000;
export const REPOS = ['core', 'extra'];

/**
 * The packages. `files`: path -> content (a string; `{ link }` for a symlink; `mode` optional).
 * Each exists to make one resolution rule observable (see the comments).
 */
export const PACKAGES = [
  { repo: 'core', name: 'filesystem', version: '2024.04.07-1', arch: 'any', groups: ['base-meta'], files: { 'etc/os-release': 'NAME="distroforge pacman test"\nID=arch\n', 'usr/lib/.keep': '', 'bin': { link: 'usr/bin' } } },
  { repo: 'core', name: 'glibc', version: '2.39-2', depends: ['filesystem'], provides: ['libc.so=6-64'] },
  { repo: 'core', name: 'readline', version: '8.2.010-1', depends: ['glibc'] },
  // Two providers of `sh` (bash, dash): pacman picks the first by repository order, then name.
  { repo: 'core', name: 'bash', version: '5.2.026-2', depends: ['glibc', 'readline>=8.0'], provides: ['sh'], groups: ['shells'] },
  { repo: 'core', name: 'dash', version: '0.5.12-1', depends: ['glibc'], provides: ['sh'], groups: ['shells'] },
  // An epoch: 1:1.3.1 is newer than any 1.x without one.
  { repo: 'core', name: 'zlib', version: '1:1.3.1-1', depends: ['glibc'] },
  { repo: 'core', name: 'coreutils', version: '9.5-1', depends: ['glibc', 'zlib>=1:1.2'] },
  // A meta-package, like Arch's base.
  { repo: 'core', name: 'base', version: '3-2', arch: 'any', depends: ['filesystem', 'bash', 'coreutils'] },
  { repo: 'core', name: 'openssl', version: '3.3.0-1', depends: ['glibc'], provides: ['libcrypto.so=3-64', 'libssl.so=3-64'] },
  { repo: 'core', name: 'libfoo', version: '2.0-1', provides: ['libfoo.so=2-64'] },
  // Also in extra, newer there: the first repository wins.
  { repo: 'core', name: 'nano', version: '8.0-1', groups: ['editors'] },
  { repo: 'core', name: 'vi', version: '1:070224-6', groups: ['editors'] },
  { repo: 'core', name: 'oldtool', version: '1.0-1' },
  // Replaces and provides oldtool: only a versioned dependency oldtool>=1.5 leads to it.
  { repo: 'core', name: 'newtool', version: '2.0-1', replaces: ['oldtool'], conflicts: ['oldtool'], provides: ['oldtool=2.0'] },
  { repo: 'extra', name: 'nano', version: '8.1-1', groups: ['editors'] },
  { repo: 'extra', name: 'vim', version: '9.1.0-1', depends: ['glibc'], provides: ['vi=9.1'], conflicts: ['vi'], groups: ['editors'] },
  // Versioned provides: only libfoo satisfies libfoo.so=2-64.
  { repo: 'extra', name: 'libfoo-ng', version: '3.0-1', provides: ['libfoo.so=3-64'] },
  { repo: 'extra', name: 'app', version: '1.0-1', depends: ['libfoo.so=2-64', 'zlib>=1:1.2', 'sh', 'libcrypto.so>=3'], files: { 'usr/bin/app': { content: '#!/bin/sh\necho app\n', mode: 0o755 } } },
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
  // (busybox-free), behind Arch's lib/lib64 -> usr/lib links.
  { repo: 'core', name: 'sh-runtime', version: '1.0-1', depends: ['filesystem'], files: { 'usr/bin/sh': { host: '/bin/dash', mode: 0o755 }, 'usr/lib/libc.so.6': { host: '/lib/x86_64-linux-gnu/libc.so.6', mode: 0o755 }, 'usr/lib/ld-linux-x86-64.so.2': { host: '/lib64/ld-linux-x86-64.so.2', mode: 0o755 }, 'lib': { link: 'usr/lib' }, 'lib64': { link: 'usr/lib' } } },
  // An .INSTALL script (pre_install sees its files absent, post_install adds a user and writes
  // into a directory owned by that user), owners and a setuid mode from the archive, a backup
  // file, xz compression.
  {
    repo: 'core', name: 'accounts', version: '1.0-1', depends: ['sh-runtime'], compression: 'xz', backup: ['etc/passwd'],
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
    repo: 'extra', name: 'hooked', version: '1.0-1', depends: ['sh-runtime'], compression: 'gz', changelog: '1.0-1: first\n',
    files: {
      'usr/share/hooked/a': 'a\n',
      'usr/share/hooked/b': 'b\n',
      'usr/share/hooked/skip-c': 'c\n',
      'usr/share/libalpm/hooks/40-packages.hook': hook(['[Trigger]', 'Type = Package', 'Operation = Install', 'Target = acc*', 'Target = hooked', '', '[Trigger]', 'Type = Package', 'Operation = Install', 'Target = sh-*', 'Target = !sh-nothing'], ['Description = packages installed', 'When = PostTransaction', 'Depends = sh-runtime', 'NeedsTargets', "Exec = /usr/bin/sh -c 'while read -r t; do echo \"40-packages: $t\"; done >> /etc/hook-log'"]),
      'usr/share/libalpm/hooks/50-paths.hook': hook(['[Trigger]', 'Type = Path', 'Operation = Install', 'Target = usr/share/hooked/*', 'Target = !usr/share/hooked/skip-*'], ['When = PostTransaction', 'NeedsTargets', "Exec = /bin/sh -c 'while read -r t; do echo \"50-paths: $t\"; done >> /etc/hook-log'"]),
      'usr/share/libalpm/hooks/45-override.hook': hook(['[Trigger]', 'Type = Package', 'Operation = Install', 'Target = hooked'], ['When = PostTransaction', "Exec = /bin/sh -c 'echo 45-override: system >> /etc/hook-log'"]),
      'etc/pacman.d/hooks/45-override.hook': hook(['[Trigger]', 'Type = Package', 'Operation = Install', 'Target = hooked'], ['When = PostTransaction', "Exec = /bin/sh -c 'echo 45-override: etc >> /etc/hook-log'"]),
      'usr/share/libalpm/hooks/60-masked.hook': hook(['[Trigger]', 'Type = Package', 'Operation = Install', 'Target = *'], ['When = PostTransaction', "Exec = /bin/sh -c 'echo 60-masked: ran >> /etc/hook-log'"]),
      'etc/pacman.d/hooks/60-masked.hook': { link: '/dev/null' },
      'usr/share/libalpm/hooks/70-no-match.hook': hook(['[Trigger]', 'Type = Path', 'Operation = Install', 'Target = usr/share/nothing/*'], ['When = PostTransaction', "Exec = /bin/sh -c 'echo 70-no-match: ran >> /etc/hook-log'"]),
      'usr/share/libalpm/hooks/80-stdin.hook': hook(['[Trigger]', 'Type = Path', 'Operation = Install', 'Target = usr/share/hooked/*'], ['When = PostTransaction', "Exec = /bin/sh -c 'n=0; while read -r t; do n=1; done; echo \"80-stdin: without targets $n\" >> /etc/hook-log'"]),
    },
  },
];

function hook(triggers, action) {
  return `${[...triggers, '', '[Action]', ...action].join('\n')}\n`;
}

const PACKAGER = 'distroforge tests <tests@distroforge.invalid>';

/** Builds (or reuses) the repositories in `outDir`. */
export async function generatePacmanTestRepo(outDir, options = {}) {
  const log = options.log ?? (() => {});
  const out = resolve(outDir);
  const hash = createHash('sha256').update(await readFile(fileURLToPath(import.meta.url)));
  // The repackaged host files are inputs too.
  for (const pkg of PACKAGES) for (const spec of Object.values(pkg.files ?? {})) if (typeof spec === 'object' && spec.host) hash.update(await readFile(spec.host));
  const key = hash.digest('hex');
  const stamp = join(out, '.inputs');
  const ready = async () => (await readFile(stamp, 'utf8').catch(() => '')).trim() === key;
  if (await ready()) return describe(out);
  // One builder at a time: a second build renamed over the first would swap the packages under a
  // test that already read the first one's database (checksum errors).
  return withDirectoryLock(out, async () => ((await ready()) ? describe(out) : build(out, key, log)));
}

async function build(out, key, log) {
  const work = await mkdtemp(`${out}.tmp-`);
  try {
    log(`pacman-test-repo: building in ${work}`);
    for (const repo of REPOS) {
      const repoDir = join(work, repo);
      const dbDir = join(work, `.db-${repo}`);
      await mkdir(repoDir, { recursive: true });
      await mkdir(dbDir, { recursive: true });
      const folders = [];
      for (const pkg of PACKAGES.filter((p) => p.repo === repo)) {
        const built = await buildPackage(pkg, join(work, `.stage-${repo}-${pkg.name}`), repoDir);
        const folder = `${pkg.name}-${pkg.version}`;
        await mkdir(join(dbDir, folder));
        await writeFile(join(dbDir, folder, 'desc'), desc(pkg, built));
        folders.push(folder);
      }
      const tar = execFileSync('bsdtar', ['-cf', '-', '--uid', '0', '--gid', '0', '--uname', 'root', '--gname', 'root', '-C', dbDir, ...folders], { maxBuffer: 1 << 28 });
      const [suffix, compressor] = repo === 'core' ? ['gz', ['gzip', '-9nc']] : ['zst', ['zstd', '-19', '-q', '-c']];
      const compressed = execFileSync(compressor[0], compressor.slice(1), { input: tar, maxBuffer: 1 << 28 });
      await writeFile(join(repoDir, `${repo}.db.tar.${suffix}`), compressed);
      await symlink(`${repo}.db.tar.${suffix}`, join(repoDir, `${repo}.db`));
      await rm(dbDir, { recursive: true });
    }
    await writeFile(join(work, 'pacman.conf'), pacmanConf(out));
    await writeFile(join(work, '.inputs'), `${key}\n`);
    // mkdtemp made it 0700: an ordinary user's build reads it too (the rootless tests).
    await chmod(work, 0o755);
    await rm(out, { recursive: true, force: true });
    await rename(work, out);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return describe(out);
}

function describe(out) {
  return { dir: out, config: join(out, 'pacman.conf'), repos: REPOS.map((name) => ({ name, dir: join(out, name), db: join(out, name, `${name}.db`) })), packages: PACKAGES };
}

/** A pacman.conf for Debian's pacman: the repositories in order, no signature checks. */
export function pacmanConf(out) {
  return `[options]\nArchitecture = x86_64\nSigLevel = Never\n\n${REPOS.map((r) => `[${r}]\nSigLevel = Never\nServer = file://${join(out, r)}\n`).join('\n')}`;
}

async function buildPackage(pkg, stage, repoDir) {
  await mkdir(stage, { recursive: true });
  const files = pkg.files ?? { [`usr/share/${pkg.name}/VERSION`]: `${pkg.name} ${pkg.version}\n` };
  /** In-package path -> { mode, uid, gid } where the table sets them (the rest is root's, 0644/0755). */
  const attributes = new Map();
  for (const [path, spec] of Object.entries(files)) {
    const target = join(stage, path);
    await mkdir(dirname(target), { recursive: true });
    if (typeof spec === 'object' && 'link' in spec) await symlink(spec.link, target);
    else if (typeof spec === 'object' && spec.dir) await mkdir(target, { recursive: true });
    else if (typeof spec === 'object' && spec.host) await writeFile(target, await readFile(spec.host));
    else await writeFile(target, typeof spec === 'string' ? spec : spec.content);
    if (typeof spec === 'object' && !('link' in spec)) attributes.set(path, { mode: spec.mode, uid: spec.uid ?? 0, gid: spec.gid ?? 0 });
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
      const words = [path, `type=${type}`, `uid=${uid}`, `gid=${gid}`, ...(uid === 0 ? ['uname=root'] : []), ...(gid === 0 ? ['gname=root'] : []), `mode=${mode.toString(8).padStart(4, '0')}`, `time=${BUILD_DATE}`];
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
  execFileSync('bsdtar', ['-czf', '.MTREE', '--format=mtree', '--options=!all,use-set,type,uid,gid,mode,time,size,md5,sha256,link', '@..spec-mtree'], { cwd: stage });
  await utimes(join(stage, '.MTREE'), BUILD_DATE, BUILD_DATE);
  await writeFile(join(stage, '..spec-tar'), await specLines(['.MTREE', ...meta, ...tree]));
  const arch = pkg.arch ?? 'x86_64';
  const compression = pkg.compression ?? 'zst';
  const filename = `${pkg.name}-${pkg.version}-${arch}.pkg.tar.${compression}`;
  const tar = execFileSync('bsdtar', ['-cf', '-', '@..spec-tar'], { cwd: stage, maxBuffer: 1 << 28 });
  const compressor = { zst: ['zstd', '-19', '-q', '-c', '-T0'], xz: ['xz', '-6', '-c', '-T1'], gz: ['gzip', '-9nc'] }[compression];
  const data = execFileSync(compressor[0], compressor.slice(1), { input: tar, maxBuffer: 1 << 28 });
  await writeFile(join(repoDir, filename), data);
  await rm(stage, { recursive: true });
  return { filename, installedSize, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), md5: createHash('md5').update(data).digest('hex') };
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
    `pkgname = ${pkg.name}`, `pkgbase = ${pkg.name}`, `pkgver = ${pkg.version}`, `pkgdesc = ${pkg.name} (distroforge test package)`,
    `url = https://distroforge.invalid/${pkg.name}`, `builddate = ${BUILD_DATE}`, `packager = ${PACKAGER}`, `size = ${installedSize}`,
    `arch = ${pkg.arch ?? 'x86_64'}`, 'license = MIT',
    ...(pkg.groups ?? []).map((g) => `group = ${g}`),
    ...(pkg.replaces ?? []).map((d) => `replaces = ${d}`),
    ...(pkg.conflicts ?? []).map((d) => `conflict = ${d}`),
    ...(pkg.provides ?? []).map((d) => `provides = ${d}`),
    ...(pkg.depends ?? []).map((d) => `depend = ${d}`),
    ...(pkg.backup ?? []).map((f) => `backup = ${f}`),
  ];
  return `${lines.join('\n')}\n`;
}

function desc(pkg, built) {
  const blocks = [
    ['FILENAME', [built.filename]], ['NAME', [pkg.name]], ['BASE', [pkg.name]], ['VERSION', [pkg.version]], ['DESC', [`${pkg.name} (distroforge test package)`]],
    ['GROUPS', pkg.groups ?? []], ['CSIZE', [String(built.size)]], ['ISIZE', [String(built.installedSize)]], ['MD5SUM', [built.md5]], ['SHA256SUM', [built.sha256]],
    ['URL', [`https://distroforge.invalid/${pkg.name}`]], ['LICENSE', ['MIT']], ['ARCH', [pkg.arch ?? 'x86_64']], ['BUILDDATE', [String(BUILD_DATE)]], ['PACKAGER', [PACKAGER]],
    ['REPLACES', pkg.replaces ?? []], ['CONFLICTS', pkg.conflicts ?? []], ['PROVIDES', pkg.provides ?? []], ['DEPENDS', pkg.depends ?? []],
  ];
  return blocks.filter(([, values]) => values.length).map(([key, values]) => `%${key}%\n${values.join('\n')}\n\n`).join('');
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
