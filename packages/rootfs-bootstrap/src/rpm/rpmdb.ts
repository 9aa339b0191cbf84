import { findTool, knownTools, runLogged, ToolFailedError, type FoundTool } from '@distroforge/core';
import { copyFile, link, lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { extractRpm } from '@distroforge/rpm-extract';
import { RpmdbError } from '../errors.js';
import { compareRpmVersions } from './version.js';

/** How the image's rpm database was written (`bootstrapRpmRootfs`'s `rpmdb`). */
export interface RpmdbReport {
  /** False with `rpmdb: 'none'`. */
  written: boolean;
  /** The database folder inside the image (`/var/lib/rpm`, Fedora's `/usr/lib/sysimage/rpm`). */
  dbpath: string;
  /** rpm's `%_db_backend`: `sqlite` (rpm >= 4.16), `bdb` (older), `ndb`. */
  backend: string;
  /**
   * Where `dbpath` and `backend` come from: the image's own rpm macros (`image-macros`), the version
   * of the `rpm` package installed (`rpm-package`: >= 4.16 sqlite, else bdb), or neither (`default`:
   * sqlite in /var/lib/rpm, what EL 9 and 10 use).
   */
  detectedFrom: 'image-macros' | 'rpm-package' | 'default';
  /** Files written under `dbpath` (sorted), owned by the builder; the manifest gives them to root. */
  files: string[];
  /** The writer: the host's librpm (`host librpm VERSION (python3-rpm)`), the host's rpm with `--justdb` (its version), or the image's own rpm. */
  writer: string;
  /** The transaction id (INSTALLTID) and first INSTALLTIME when fixed: SOURCE_DATE_EPOCH (host writers only); absent: the build's time. */
  installTime?: number;
  ms: number;
}

/** The database format the image's rpm expects. */
export async function detectRpmdbFormat(
  root: string,
  rpmVersion: string | undefined,
): Promise<Pick<RpmdbReport, 'dbpath' | 'backend' | 'detectedFrom'>> {
  const macros: Record<string, string> = {};
  const files = [
    'usr/lib/rpm/macros',
    ...(await listMacroFiles(root, 'usr/lib/rpm/macros.d')),
    'etc/rpm/macros',
    ...(await listMacroFiles(root, 'etc/rpm')),
  ];
  let found = false;
  for (const file of files) {
    const text = await readFile(join(root, file), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    found = true;
    for (const m of text.matchAll(/^%(_dbpath|_db_backend|_var|_usr|_prefix|_localstatedir)[ \t]+(\S+)[ \t]*$/gm))
      macros[m[1]!] = m[2]!;
  }
  const expand = (value: string): string => {
    let out = value;
    for (let i = 0; i < 5 && out.includes('%'); i++)
      out = out.replace(
        /%\{?(\w+)\}?/g,
        (whole, name: string) =>
          macros[name] ??
          ({ _var: '/var', _usr: '/usr', _prefix: '/usr', _localstatedir: '/var' } as Record<string, string>)[name] ??
          whole,
      );
    return out;
  };
  if (found && macros._dbpath && macros._db_backend) {
    const dbpath = expand(macros._dbpath);
    if (!dbpath.includes('%') && dbpath.startsWith('/'))
      return { dbpath, backend: expand(macros._db_backend), detectedFrom: 'image-macros' };
  }
  return formatOfRpmVersion(rpmVersion);
}

/** Without macros: the version of the `rpm` package installed (>= 4.16 sqlite, else bdb), else EL 9/10's sqlite. */
function formatOfRpmVersion(rpmVersion: string | undefined): Pick<RpmdbReport, 'dbpath' | 'backend' | 'detectedFrom'> {
  if (rpmVersion !== undefined)
    return {
      dbpath: '/var/lib/rpm',
      backend: compareRpmVersions(rpmVersion, '4.16') >= 0 ? 'sqlite' : 'bdb',
      detectedFrom: 'rpm-package',
    };
  return { dbpath: '/var/lib/rpm', backend: 'sqlite', detectedFrom: 'default' };
}

/** The files `detectRpmdbFormat` reads, as absolute paths of package payloads. */
const MACRO_FILE = /^\/(usr\/lib\/rpm\/macros(\.d\/macros[^/]*)?|etc\/rpm\/macros[^/]*)$/;

/**
 * The database format before anything is installed (rpm opens its database before the first
 * package): `detectRpmdbFormat` on a scratch root holding only the packages that ship rpm macro
 * files (`rpm` itself, `*-rpm-macros`), so the answer is the one the finished tree gives.
 */
export async function detectRpmdbFormatFromPackages(
  packages: readonly { file: string; files: readonly { path: string }[] }[],
  rpmVersion: string | undefined,
): Promise<Pick<RpmdbReport, 'dbpath' | 'backend' | 'detectedFrom'>> {
  const owners = packages.filter((p) => p.files.some((f) => MACRO_FILE.test(f.path)));
  if (owners.length === 0) return formatOfRpmVersion(rpmVersion);
  const scratch = await mkdtemp(join(tmpdir(), 'distroforge-rpm-macros-'));
  try {
    for (const p of owners) await extractRpm(p.file, scratch, { merge: true });
    return await detectRpmdbFormat(scratch, rpmVersion);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function listMacroFiles(root: string, dir: string): Promise<string[]> {
  const names = await readdir(join(root, dir)).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith('macros') && n !== 'macros')
    .sort()
    .map((n) => `${dir}/${n}`);
}

/** A database written by the host's rpm into a scratch root, and the order rpm installed the packages in. */
export interface ScratchRpmdb {
  /** `name.arch` of every package in rpm's transaction order (the order of its database records). */
  order: string[];
  /**
   * Puts the database into `root`, where and in the format the image's rpm expects: the host's
   * (copied from the scratch root, or written again for another path) when `writer` allows it and
   * the format is sqlite (all Debian's rpm 4.18 writes), else the image's own rpm run in the image
   * root by `runInImage` (`rpm --justdb` over copies of the package files under /var/tmp).
   */
  install(
    root: string,
    how: { writer: 'auto' | 'host-rpm' | 'image-rpm'; runInImage: (argv: string[]) => Promise<void> },
  ): Promise<RpmdbReport>;
  dispose(): Promise<void>;
}

/**
 * Writes an rpm database for `files` with the host's rpm into a scratch root: `rpm --root SCRATCH
 * --dbpath DBPATH --justdb --noscripts --notriggers --nodeps -i FILES` (the headers exactly as rpm
 * stores them, its own ordering, indexes and format). Its record order is rpm's transaction order,
 * which the install then follows. `install(root)` copies the database files into the tree once the
 * image's rpm macros are there to say where and in which format (written again when they differ
 * from the first guess). With `sourceDateEpoch`, rpm runs under faketime frozen at that second:
 * the transaction id is that second and each header's install time that second plus its position
 * (rpm 4.18 gives every package its own), so the bytes are reproducible. A scratch root keeps rpm
 * away from the tree, whose owners may be subordinate ids during the scriptlets.
 */
export async function writeScratchRpmdb(
  files: readonly string[],
  options: {
    rpmVersion: string | undefined;
    sourceDateEpoch: number | undefined;
    logFile: string;
    signal?: AbortSignal;
  },
): Promise<ScratchRpmdb> {
  const start = performance.now();
  const rpm = await findTool(knownTools.rpm).catch((cause: unknown) => {
    throw new RpmdbError(`the image's rpm database needs the host's rpm (rpm --justdb): ${(cause as Error).message}`, {
      cause,
    });
  });
  const faketime = options.sourceDateEpoch === undefined ? undefined : await findFaketime();
  const scratch = await mkdtemp(join(tmpdir(), 'distroforge-rpmdb-'));
  const write = async (format: Pick<RpmdbReport, 'dbpath' | 'backend'>): Promise<string> => {
    const root = await mkdtemp(join(scratch, 'root-'));
    const args = ['--root', root, ...justDbArguments(format, files)];
    const [command, argv] = faketime
      ? [faketime.path, ['-f', utcStamp(options.sourceDateEpoch!), rpm.path, ...args]]
      : [rpm.path, args];
    await runLoggedRpm(command, argv, {
      logFile: options.logFile,
      home: scratch,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return root;
  };
  try {
    // The scratch database gives the order; sqlite is what the host's rpm writes.
    const first = { dbpath: '/var/lib/rpm', backend: 'sqlite' };
    const firstRoot = await write(first);
    const listed = await runLogged(
      rpm.path,
      [
        '--root',
        firstRoot,
        '--dbpath',
        first.dbpath,
        '--define',
        `_db_backend ${first.backend}`,
        '-qa',
        '--qf',
        '%{NAME}.%{ARCH}\\n',
      ],
      { logFile: options.logFile, env: { HOME: scratch } },
    );
    const order = listed.split('\n').filter(Boolean);
    const firstMs = performance.now() - start;
    return {
      order,
      async install(root, how) {
        const again = performance.now();
        const format = await detectRpmdbFormat(root, options.rpmVersion);
        const imageHasRpm = await lstat(join(root, 'usr/bin/rpm')).then(
          () => true,
          () => false,
        );
        const byImage = how.writer === 'image-rpm' || (how.writer === 'auto' && format.backend !== 'sqlite');
        const to = join(root, format.dbpath);
        let writer: string;
        if (byImage) {
          if (!imageHasRpm) {
            throw new RpmdbError(
              `the image's rpm expects a ${format.backend} database in ${format.dbpath} (${format.detectedFrom}), which ${how.writer === 'image-rpm' ? "option rpmdb image-rpm asks the image's rpm to write" : `the host's rpm ${rpm.version} cannot write (it writes sqlite)`}, and the image has no /usr/bin/rpm`,
              {
                value: format.backend,
                hint: "install rpm in the image (its own rpm then writes its database), or pass rpmdb 'none'",
              },
            );
          }
          // The image's rpm writes its own format in the image root: the package files are copied in
          // (hard links when the cache is on the same file system) and removed after.
          const inbox = join(root, 'var/tmp/distroforge-rpmdb');
          await mkdir(inbox, { recursive: true });
          const inside: string[] = [];
          for (const [i, file] of files.entries()) {
            const name = `${String(i).padStart(5, '0')}.rpm`;
            await link(file, join(inbox, name)).catch(() => copyFile(file, join(inbox, name)));
            inside.push(`/var/tmp/distroforge-rpmdb/${name}`);
          }
          await mkdir(to, { recursive: true });
          try {
            await how.runInImage(['/usr/bin/rpm', ...justDbArguments(format, inside)]);
          } catch (error) {
            throw new RpmdbError(
              `the image's rpm failed writing its ${format.backend} database: ${(error as Error).message}`,
              { path: options.logFile, cause: error },
            );
          } finally {
            await rm(inbox, { recursive: true, force: true });
          }
          for (const f of await readdir(to)) if (TRANSIENT.test(f)) await rm(join(to, f), { force: true });
          writer = "the image's rpm --justdb";
        } else {
          const same = format.dbpath === first.dbpath && format.backend === first.backend;
          const from = join(same ? firstRoot : await write(format), format.dbpath);
          await mkdir(to, { recursive: true });
          for (const f of (await readdir(from)).filter((f) => !TRANSIENT.test(f)))
            await copyFile(join(from, f), join(to, f));
          writer = `host rpm ${rpm.version} --justdb`;
        }
        const written = (await readdir(to)).sort();
        const ms = Math.round(firstMs + performance.now() - again);
        // faketime fixes the host's rpm clock only; the image's rpm stamps the build's time.
        return {
          written: true,
          ...format,
          files: written,
          writer,
          ...(options.sourceDateEpoch === undefined || byImage ? {} : { installTime: options.sourceDateEpoch }),
          ms,
        };
      },
      dispose: () => rm(scratch, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}

/**
 * rpm's transient database files: sqlite's journals (the WAL is checkpointed and empty, -shm holds a
 * per-run index) and Berkeley DB's environment regions; the image's rpm recreates them.
 */
const TRANSIENT = /(-shm|-wal)$|^__db\.\d+$/;

async function runLoggedRpm(
  command: string,
  args: string[],
  options: { logFile: string; home: string; signal?: AbortSignal },
): Promise<void> {
  try {
    await runLogged(command, args, {
      logFile: options.logFile,
      env: { HOME: options.home },
      timeoutMs: 30 * 60_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof ToolFailedError)
      throw new RpmdbError(`rpm --justdb failed writing the image's rpm database: ${error.message}`, {
        path: options.logFile,
        cause: error,
        value: args.slice(0, 8),
      });
    throw error;
  }
}

/** faketime (libfaketime's wrapper) freezes rpm's clock: INSTALLTIME and the transaction id are time(NULL) in rpm 4.18. */
function findFaketime(): Promise<FoundTool> {
  return findTool({ names: ['faketime'], install: 'apt-get install faketime', versionArgs: ['--version'] }).catch(
    (cause: unknown) => {
      throw new RpmdbError(
        `a reproducible rpm database (SOURCE_DATE_EPOCH is set) needs faketime to fix rpm's install time: ${(cause as Error).message}`,
        {
          cause,
          hint: 'apt-get install faketime, or unset SOURCE_DATE_EPOCH (install times are then the build time), or pass rpmdb "none"',
        },
      );
    },
  );
}

/** libfaketime's absolute, frozen time format ("YYYY-MM-DD HH:MM:SS", read in TZ=UTC as runLogged sets). */
function utcStamp(epoch: number): string {
  return new Date(epoch * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

/** rpm's arguments that record `files`' headers in a database of `format` and do nothing else. */
function justDbArguments(format: Pick<RpmdbReport, 'dbpath' | 'backend'>, files: readonly string[]): string[] {
  return [
    '--dbpath',
    format.dbpath,
    '--define',
    `_db_backend ${format.backend}`,
    '--justdb',
    '--noscripts',
    '--notriggers',
    '--nodeps',
    '--nosignature',
    '--ignorearch',
    '--ignoreos',
    '-i',
    ...files,
  ];
}
