import { findTool, knownTools } from '@distroforge/core';
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** How many packages an image holds and where that was read. */
export interface PackageCount {
  count: number;
  source: string;
}

/**
 * The package count of a built image from the build-report.json beside it, when that report
 * lists the file among its outputs (a report of another build says nothing about this file).
 */
export async function packagesFromBuildReport(file: string): Promise<PackageCount | undefined> {
  const reportFile = join(dirname(resolve(file)), 'build-report.json');
  try {
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as {
      outputs?: { file?: unknown }[];
      packages?: unknown[];
    };
    const listed = (report.outputs ?? []).some((o) => typeof o.file === 'string' && resolve(o.file) === resolve(file));
    if (!listed || !Array.isArray(report.packages)) return undefined;
    return { count: report.packages.length, source: 'build-report.json beside it' };
  } catch {
    return undefined;
  }
}

/** Installed packages in a dpkg status file: paragraphs whose Status ends in `installed`. */
export function countDpkgStatus(text: string): number {
  return text.split(/\n\s*\n/).filter((p) => /^Status: .* installed$/m.test(p)).length;
}

/** Where the package managers keep their databases, as paths inside a root (no leading slash). */
const DATABASES = ['var/lib/dpkg/status', 'var/lib/pacman/local', 'usr/lib/sysimage/rpm', 'var/lib/rpm'];

/**
 * The package database of a squashfs root, at `offset` bytes into `image` (0 for a squashfs file,
 * the live image's place inside an ISO): dpkg's status (read with `unsquashfs -cat`), pacman's
 * local database (one directory with a `desc` per package) or the rpmdb (copied out and queried
 * with the host's rpm). Only those paths are listed, so a big image is not walked. Undefined when
 * the image holds none of them.
 */
export async function packagesInSquashfs(
  image: string,
  unsquashfs: string,
  offset = 0,
): Promise<PackageCount | undefined> {
  const at = offset > 0 ? ['-o', String(offset)] : [];
  const { parseListLine } = await import('@distroforge/squashfs-wrap');
  const listing = await execa(unsquashfs, [...at, '-lln', '-UTC', '-d', '', image, ...DATABASES], {
    stdin: 'ignore',
    env: { LC_ALL: 'C' },
    maxBuffer: 1 << 28,
  });
  const paths = new Set(
    listing.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => parseListLine(l).path),
  );
  if (paths.has('/var/lib/dpkg/status')) {
    const { stdout } = await execa(unsquashfs, [...at, '-cat', image, 'var/lib/dpkg/status'], {
      stdin: 'ignore',
      maxBuffer: 1 << 28,
    });
    return { count: countDpkgStatus(stdout), source: '/var/lib/dpkg/status' };
  }
  const pacman = [...paths].filter((p) => /^\/var\/lib\/pacman\/local\/[^/]+\/desc$/.test(p)).length;
  if (pacman > 0) return { count: pacman, source: '/var/lib/pacman/local' };
  const rpmdb = ['/usr/lib/sysimage/rpm', '/var/lib/rpm'].find(
    (dir) => paths.has(`${dir}/rpmdb.sqlite`) || paths.has(`${dir}/Packages`) || paths.has(`${dir}/Packages.db`),
  );
  if (!rpmdb) return undefined;
  const rpm = await findTool(knownTools.rpm).catch(() => undefined);
  if (!rpm) return undefined;
  const work = await mkdtemp(join(tmpdir(), 'distroforge-inspect-rpmdb-'));
  try {
    await execa(unsquashfs, [...at, '-q', '-n', '-f', '-d', join(work, 'root'), image, rpmdb.slice(1)], {
      stdin: 'ignore',
    });
    const { stdout } = await execa(rpm.path, ['--dbpath', join(work, 'root', rpmdb), '-qa'], { stdin: 'ignore' });
    return { count: stdout.split('\n').filter((l) => l !== '' && !l.startsWith('gpg-pubkey-')).length, source: rpmdb };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The package database of an ext4 root at `offset` bytes into a raw disk image, read in place with
 * debugfs (`image?offset=N`): dpkg's status, pacman's local database (its directories), or the
 * rpmdb (dumped to a scratch folder, queried with the host's rpm). Undefined when none is there.
 */
export async function packagesInExt4(image: string, offset: number): Promise<PackageCount | undefined> {
  const debugfs = await findTool(knownTools.debugfs);
  const device = `${image}?offset=${offset}`;
  const request = async (command: string) =>
    (await execa(debugfs.path, ['-R', command, device], { stdin: 'ignore', maxBuffer: 1 << 28, env: { LC_ALL: 'C' } }))
      .stdout;
  /** `ls -p` lines: `/inode/mode/uid/gid/name/size/`; names and whether each is a directory. */
  const list = async (dir: string) =>
    (await request(`ls -p ${dir}`))
      .split('\n')
      .map((line) => line.split('/'))
      .filter((f) => f.length >= 6 && f[5] !== '.' && f[5] !== '..')
      .map((f) => ({ name: f[5] as string, dir: (f[2] ?? '').startsWith('04') }));
  const dpkg = await list('/var/lib/dpkg');
  if (dpkg.some((e) => e.name === 'status' && !e.dir))
    return { count: countDpkgStatus(await request('cat /var/lib/dpkg/status')), source: '/var/lib/dpkg/status' };
  const pacman = (await list('/var/lib/pacman/local')).filter((e) => e.dir).length;
  if (pacman > 0) return { count: pacman, source: '/var/lib/pacman/local' };
  for (const dir of ['/usr/lib/sysimage/rpm', '/var/lib/rpm']) {
    const names = (await list(dir)).map((e) => e.name);
    if (!names.some((n) => n === 'rpmdb.sqlite' || n === 'Packages' || n === 'Packages.db')) continue;
    const rpm = await findTool(knownTools.rpm).catch(() => undefined);
    if (!rpm) return undefined;
    const work = await mkdtemp(join(tmpdir(), 'distroforge-inspect-rpmdb-'));
    try {
      await request(`rdump ${dir} ${work}`);
      const dbpath = join(work, dir.split('/').pop() as string);
      const { stdout } = await execa(rpm.path, ['--dbpath', dbpath, '-qa'], { stdin: 'ignore' });
      return { count: stdout.split('\n').filter((l) => l !== '' && !l.startsWith('gpg-pubkey-')).length, source: dir };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return undefined;
}
