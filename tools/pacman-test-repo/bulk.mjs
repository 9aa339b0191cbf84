#!/usr/bin/env node
// A third pacman repository, `bulk`, of real weight for benchmarks: Debian's binary packages
// (libraries, interpreters with their standard libraries, systemd, locales, time zones, git, vim's
// runtime: tens of thousands of files, a few hundred MiB installed) repackaged as Arch packages in
// Arch's merged-/usr layout, plus `bulk-set`, a meta-package depending on all of them. It sits
// beside the test repository's `core` and `extra` (generate.mjs) and is meant to be requested with
// them (`pacman -S base linux ... bulk-set`): a Debian package whose files would collide with a
// package of those (busybox's applets, the test packages) or whose own paths collide once /bin,
// /sbin, /lib are merged into /usr is left out, and said so.
//
//   node tools/pacman-test-repo/bulk.mjs OUTDIR TESTREPO     prints OUTDIR/bulk when it is ready
//
// The .debs come from the apt cache or `apt-get download` (the host's apt sources) into
// .cache/pacman-test-repo/bulk-debs; cached by a digest of the .debs and these scripts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDirectory } from '../testing/build-directory.mjs';
import { withDirectoryLock } from '../testing/directory-lock.mjs';
import { archVersion, buildPackage, desc } from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

/** Debian (bookworm) packages with weight and many files, none of them busybox applets. */
export const BULK_DEBS = [
  'git',
  'git-man',
  'libbz2-1.0',
  'libcrypt1',
  'libcurl3-gnutls',
  'libdb5.3',
  'libexpat1',
  'libffi8',
  'libgcc-s1',
  'libglib2.0-0',
  'libgmp10',
  'libgnutls30',
  'libhogweed6',
  'libicu72',
  'libidn2-0',
  'liblzma5',
  'libncursesw6',
  'libnettle8',
  'libp11-kit0',
  'libpcre2-8-0',
  'libperl5.36',
  'libpython3.11-minimal',
  'libpython3.11-stdlib',
  'libsqlite3-0',
  'libssl3',
  'libstdc++6',
  'libsystemd-shared',
  'libtasn1-6',
  'libtinfo6',
  'libunistring2',
  'libxml2',
  'libzstd1',
  'locales',
  'ncurses-base',
  'ncurses-term',
  'perl-modules-5.36',
  'python3.11-minimal',
  'systemd',
  'tzdata',
  'vim-runtime',
];

const REPO = 'bulk';

/** Builds (or reuses) OUTDIR/bulk from BULK_DEBS, leaving out packages that collide with `testRepo`'s (generate.mjs's result). */
export async function generatePacmanBulkRepo(outDir, testRepo, options = {}) {
  const log = options.log ?? (() => {});
  const out = resolve(outDir, REPO);
  const debs = await bulkDebs(log);
  const hash = createHash('sha256');
  for (const file of [fileURLToPath(import.meta.url), join(here, 'generate.mjs')]) hash.update(await readFile(file));
  for (const deb of debs) hash.update(`${deb}\n`).update(await readFile(deb));
  hash.update(await readFile(join(testRepo.dir, '.inputs')));
  const key = hash.digest('hex');
  const stamp = join(out, '.inputs');
  const ready = async () => (await readFile(stamp, 'utf8').catch(() => '')).trim() === key;
  const describe = async () => JSON.parse(await readFile(join(out, 'bulk.json'), 'utf8'));
  if (await ready()) return describe();
  return withDirectoryLock(out, async () => {
    if (await ready()) return describe();
    await build(out, debs, testRepo, key, log);
    return describe();
  });
}

async function build(out, debs, testRepo, key, log) {
  const taken = await pathsOfRepositories(testRepo);
  await buildDirectory(out, key, async (work) => {
    const dbDir = join(work, '.db');
    await mkdir(dbDir);
    const folders = [];
    const names = [];
    const leftOut = [];
    let installed = 0;
    for (const deb of debs) {
      const field = (name) => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();
      const name = field('Package');
      const tree = join(work, `.tree-${name}`);
      const collision = await mergedTree(deb, tree, taken);
      if (collision) {
        leftOut.push(`${name} (${collision})`);
        await rm(tree, { recursive: true, force: true });
        continue;
      }
      const pkg = { repo: REPO, name, version: archVersion(field('Version')), depends: ['filesystem'], tree };
      const built = await buildPackage(pkg, join(work, `.stage-${name}`), work);
      installed += built.installedSize;
      const folder = `${pkg.name}-${pkg.version}`;
      await mkdir(join(dbDir, folder));
      await writeFile(join(dbDir, folder, 'desc'), desc(pkg, built));
      folders.push(folder);
      names.push(name);
    }
    const meta = { repo: REPO, name: 'bulk-set', version: '1-1', arch: 'any', depends: names };
    const built = await buildPackage(meta, join(work, '.stage-bulk-set'), work);
    await mkdir(join(dbDir, `bulk-set-1-1`));
    await writeFile(join(dbDir, 'bulk-set-1-1', 'desc'), desc(meta, built));
    folders.push('bulk-set-1-1');
    const tar = execFileSync('bsdtar', ['-cf', '-', '--uid', '0', '--gid', '0', '-C', dbDir, ...folders], {
      maxBuffer: 1 << 28,
    });
    await writeFile(join(work, `${REPO}.db.tar.zst`), execFileSync('zstd', ['-q', '-c'], { input: tar }));
    await symlink(`${REPO}.db.tar.zst`, join(work, `${REPO}.db`));
    await rm(dbDir, { recursive: true });
    if (leftOut.length) log(`pacman bulk repository: left out ${leftOut.join(', ')}`);
    await writeFile(
      join(work, 'bulk.json'),
      `${JSON.stringify({ dir: out, repo: REPO, request: ['bulk-set'], packages: names, leftOut, installedBytes: installed }, null, 2)}\n`,
    );
  });
}

/** Debian paths in Arch's merged layout: /bin, /sbin, /usr/sbin -> usr/bin; /lib, /lib64 -> usr/lib. */
function merged(path) {
  return path.replace(/^(bin|sbin|usr\/sbin)(\/|$)/, 'usr/bin$2').replace(/^(lib|lib64)(\/|$)/, 'usr/lib$2');
}

/**
 * Unpacks `deb` into `tree` in the merged layout. Returns why the package cannot join (a path
 * another package already owns, or two of its own paths merged into one), or undefined; on
 * success its paths are added to `taken`.
 */
async function mergedTree(deb, tree, taken) {
  const raw = `${tree}.raw`;
  execFileSync('dpkg-deb', ['-x', deb, raw]);
  const own = new Map();
  const walk = async (dir) => {
    for (const entry of (await readdir(join(raw, dir), { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      const target = merged(path);
      if (own.has(target)) return `${path} and ${own.get(target)} merge into ${target}`;
      if (taken.has(target)) return `${target} is ${taken.get(target)}'s`;
      own.set(target, path);
    }
    return undefined;
  };
  try {
    const clash = await walk('');
    if (clash) return clash;
    for (const [target, path] of own) {
      await mkdir(dirname(join(tree, target)), { recursive: true });
      await rename(join(raw, path), join(tree, target));
    }
    for (const target of own.keys()) taken.set(target, 'bulk');
    return undefined;
  } finally {
    await rm(raw, { recursive: true, force: true });
  }
}

/** Non-directory paths of every package of the test repository (`bsdtar -t` of each), -> the package's file name. */
async function pathsOfRepositories(testRepo) {
  const taken = new Map();
  for (const { dir } of testRepo.repos) {
    for (const file of (await readdir(dir)).filter((f) => f.includes('.pkg.tar.')).sort()) {
      const listing = execFileSync('bsdtar', ['-tvf', join(dir, file)], { encoding: 'utf8', maxBuffer: 1 << 26 });
      for (const line of listing.split('\n')) {
        if (!line || line.startsWith('d')) continue;
        const path = line
          .split(/\s+/)
          .slice(8)
          .join(' ')
          .replace(/ -> .*$/, '');
        if (!path.startsWith('.')) taken.set(path, file);
      }
    }
  }
  return taken;
}

/** The .debs of BULK_DEBS: from the apt cache or downloaded once into .cache/pacman-test-repo/bulk-debs. */
async function bulkDebs(log) {
  const own = join(repoRoot, '.cache/pacman-test-repo/bulk-debs');
  await mkdir(own, { recursive: true });
  const find = async () => {
    const found = new Map();
    for (const dir of ['/var/cache/apt/archives', own]) {
      for (const file of (await readdir(dir).catch(() => [])).sort()) {
        const name = /^([^_]+)_[^_]+_(amd64|all)\.deb$/.exec(file)?.[1];
        if (name && BULK_DEBS.includes(name)) found.set(name, join(dir, file));
      }
    }
    return found;
  };
  let found = await find();
  const missing = BULK_DEBS.filter((n) => !found.has(n));
  if (missing.length) {
    log(`pacman bulk repository: apt-get download ${missing.join(' ')}`);
    execFileSync('apt-get', ['download', ...missing], { cwd: own, stdio: ['ignore', 'ignore', 'inherit'] });
    found = await find();
  }
  const still = BULK_DEBS.filter((n) => !found.has(n));
  if (still.length) throw new Error(`pacman bulk repository: no .deb for ${still.join(', ')}`);
  return BULK_DEBS.map((n) => found.get(n));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outDir, testRepoDir] = process.argv.slice(2);
  if (!outDir || !testRepoDir) {
    console.error('usage: bulk.mjs OUTDIR TESTREPO');
    process.exit(2);
  }
  const { generatePacmanTestRepo } = await import('./generate.mjs');
  const testRepo = await generatePacmanTestRepo(testRepoDir, { log: (line) => console.error(line) });
  const bulk = await generatePacmanBulkRepo(outDir, testRepo, { log: (line) => console.error(line) });
  console.log(bulk.dir);
}
