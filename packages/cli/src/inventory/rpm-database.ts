import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { findTool, knownTools, resolveInRootSync } from '@distroforge/core';
import { detectRpmdbFormat } from '@distroforge/rootfs-bootstrap';
import { CliError } from '../errors.js';
import type { DatabasePackage } from './database-package.js';

/** Where a root's rpm database is and in which format, when it has one. */
export async function findRpmdb(root: string): Promise<{ dbpath: string; backend: string } | undefined> {
  const format = await detectRpmdbFormat(root, undefined);
  if (existsSync(join(root, format.dbpath))) return format;
  // Fedora keeps the database in /usr/lib/sysimage/rpm (with /var/lib/rpm a link to it).
  for (const dbpath of ['/usr/lib/sysimage/rpm', '/var/lib/rpm'])
    if (existsSync(join(root, dbpath, 'rpmdb.sqlite'))) return { dbpath, backend: 'sqlite' };
  return undefined;
}

/** Files sqlite and rpm make beside a database while it is open: not part of it. */
const TRANSIENT = /^(\.rpm\.lock|.*-shm|.*-wal|.*-journal|__db\..*)$/;

// One line per package, one per file: rpm escapes nothing, so fields are tab-separated and the
// few values that could hold a tab (licence, vendor, packager) come last but one.
const QUERY =
  'P\\t%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\t%{VENDOR}\\t%{PACKAGER}\\n[F\\t%{FILENAMES}\\n]';

/**
 * The packages of an RPM root from its own rpm database, read by the host's rpm (`rpm --root R
 * --dbpath P -qa --qf ...`, found through knownTools.rpm): NEVRA, License, source rpm, Vendor
 * (supplier, else Packager) and the file names. gpg-pubkey pseudo-packages are left out.
 */
export async function readRpmDatabase(
  root: string,
  db: { dbpath: string; backend: string },
  signal?: AbortSignal,
): Promise<DatabasePackage[]> {
  const rpm = await findTool(knownTools.rpm);
  // Even a query writes beside a sqlite database (-shm, -wal, .rpm.lock): rpm reads a copy in a
  // scratch root, never the tree (a cached stage's, read by other stages at the same time). A HOME
  // of its own too: the builder's ~/.rpmmacros must not move the database.
  const scratch = await mkdtemp(join(tmpdir(), 'distroforge-inventory-'));
  let stdout: string;
  try {
    const from = join(root, resolveInRootSync(root, db.dbpath, { followFinal: true, aboveRoot: 'clamp' }));
    const to = join(scratch, 'root', db.dbpath);
    await mkdir(to, { recursive: true });
    for (const entry of await readdir(from, { withFileTypes: true }))
      if (entry.isFile() && !TRANSIENT.test(entry.name)) await copyFile(join(from, entry.name), join(to, entry.name));
    const result = await execa(
      rpm.path,
      [
        '--root',
        join(scratch, 'root'),
        '--dbpath',
        db.dbpath,
        '--define',
        `_db_backend ${db.backend}`,
        '-qa',
        '--qf',
        QUERY,
      ],
      {
        env: { HOME: scratch, LC_ALL: 'C', TZ: 'UTC' },
        extendEnv: true,
        reject: false,
        maxBuffer: 1024 * 1024 * 1024,
        ...(signal ? { cancelSignal: signal } : {}),
      },
    );
    if (result.exitCode !== 0)
      throw new CliError(
        'ERR_INVENTORY_UNREADABLE',
        `cannot read the rpm database ${db.dbpath} (${db.backend}) of ${root}: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`,
        {
          path: join(root, db.dbpath),
          hint: 'the host rpm reads sqlite databases; check that rpm is installed and recent (rpm --version >= 4.16)',
        },
      );
    stdout = result.stdout;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const packages: DatabasePackage[] = [];
  let current: DatabasePackage | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('F\t')) {
      const path = line.slice(2);
      if (current && path.startsWith('/')) current.paths.push(path);
      continue;
    }
    if (!line.startsWith('P\t')) continue;
    const [, name = '', epoch, version, release, arch, sourceRpm, license, vendor, packager] = line.split('\t');
    const none = (value: string | undefined) =>
      value === undefined || value === '(none)' || value === '' ? undefined : value;
    current = undefined;
    if (name === 'gpg-pubkey') continue;
    const e = none(epoch);
    const supplier = none(vendor) ?? none(packager);
    const source = none(sourceRpm)?.replace(/-[^-]+-[^-]+\.(no)?src\.rpm$/, '');
    current = {
      name,
      version: `${e ? `${e}:` : ''}${version}-${release}`,
      architecture: none(arch) ?? 'noarch',
      ...(e ? { epoch: e } : {}),
      sourcePackage: source ?? name,
      ...(none(license) ? { license: none(license) as string } : {}),
      ...(supplier ? { supplier, supplierType: none(vendor) ? ('organization' as const) : ('person' as const) } : {}),
      paths: [],
    };
    packages.push(current);
  }
  return packages;
}
