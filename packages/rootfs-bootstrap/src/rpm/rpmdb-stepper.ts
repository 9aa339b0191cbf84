import { execa, type ResultPromise } from 'execa';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { RpmdbError } from '../errors.js';
import { findHostRpmPython } from './host-rpm-python.js';
import type { RpmdbReport } from './rpmdb.js';
import { compareRpmVersions } from './version.js';

/**
 * One rpm transaction of the host's librpm (python3-rpm) that records the headers into the image's
 * database (`JUSTDB`, no scripts, no triggers, no dependency check: the flags `rpm --justdb
 * --noscripts --notriggers --nodeps --nosignature --ignorearch --ignoreos --ignoresize` set: the
 * files are extracted by us, so rpm's disk space check has nothing to count) and stops before
 * each header until told to go on. rpm's transaction callback is where it waits: `INST_START`
 * comes in its per-package step before `dbAdd`, `INST_CLOSE_FILE` after it (lib/psm.c). Each
 * `dbAdd` commits (sqlite backend: a released savepoint), so a scriptlet's own `rpm -q` sees it.
 * The verification pass that opens every package first sends OPEN/CLOSE without `INST_START`.
 */
const STEPPER = `
import os, sys, rpm
root, dbpath, backend = sys.argv[1:4]
files = sys.argv[4:]
rpm.addMacro('_dbpath', dbpath)
rpm.addMacro('_db_backend', backend)
ts = rpm.TransactionSet(root)
ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES)
ts.setFlags(rpm.RPMTRANS_FLAG_JUSTDB | rpm.RPMTRANS_FLAG_NOSCRIPTS | rpm.RPMTRANS_FLAG_NOTRIGGERS)
ts.setProbFilter(rpm.RPMPROB_FILTER_IGNOREARCH | rpm.RPMPROB_FILTER_IGNOREOS | rpm.RPMPROB_FILTER_DISKSPACE | rpm.RPMPROB_FILTER_DISKNODES)
for i, f in enumerate(files):
    fd = os.open(f, os.O_RDONLY)
    ts.addInstall(ts.hdrFromFdno(fd), str(i), 'i')
    os.close(fd)
ts.order()
print('order', *[te.Key() for te in ts], flush=True)
fds, started, begun = {}, set(), []
def step(what, amount, total, key, data):
    if not begun:
        begun.append(1)
        print('begin', flush=True)
    if what == rpm.RPMCALLBACK_INST_OPEN_FILE:
        fds[key] = os.open(files[int(key)], os.O_RDONLY)
        return fds[key]
    if what == rpm.RPMCALLBACK_INST_CLOSE_FILE:
        os.close(fds.pop(key))
        if key in started:
            print('added', key, flush=True)
    elif what == rpm.RPMCALLBACK_INST_START:
        started.add(key)
        print('ready', key, flush=True)
        if sys.stdin.readline() != 'go\\n':
            os._exit(3)
problems = ts.run(step, '')
ts.closeDB()
if problems:
    for p in problems: print('problem', p[0], file=sys.stderr)
    sys.exit(1)
print('done', flush=True)
`;

/** rpm's transient database files: sqlite's journals (the WAL is checkpointed and empty, -shm a per-run index). */
const TRANSIENT = /(-shm|-wal)$/;

/** A database being written into the image one header at a time (`openRpmdbStepper`). */
export interface RpmdbStepper {
  /** Indexes into the `files` given, in rpm's transaction order (the order of its records). */
  order: number[];
  /** Starts the transaction: resolves once rpm opened (created) the database, as before any %pretrans. */
  begin(): Promise<void>;
  /** Adds the header of `files[index]` (the next in `order`), as rpm does before that package's %post. */
  add(index: number): Promise<void>;
  /** Lets rpm finish and close the database; the report of what was written. */
  finish(): Promise<RpmdbReport>;
  /** Stops rpm (after a failure elsewhere). */
  abort(): Promise<void>;
}

/**
 * Opens the host's librpm on the image `root` for `files` (already verified), database `format`.
 * With `sourceDateEpoch` rpm 4.18 takes its transaction time from SOURCE_DATE_EPOCH
 * (lib/rpmts.c `overrideTime`): the transaction id is that second and each header's install time
 * that second plus its position, so the bytes are reproducible.
 */
export async function openRpmdbStepper(
  root: string,
  files: readonly string[],
  format: Pick<RpmdbReport, 'dbpath' | 'backend' | 'detectedFrom'>,
  options: { sourceDateEpoch: number | undefined; logFile: string; signal?: AbortSignal },
): Promise<RpmdbStepper> {
  const start = performance.now();
  const python = await findHostRpmPython().catch((cause: unknown) => {
    throw new RpmdbError(
      `the image's rpm database is written by the host's librpm (python3-rpm): ${(cause as Error).message}`,
      { cause, hint: 'apt-get install python3-rpm, or pass rpmdb "none" to build the tree without a package database' },
    );
  });
  if (options.sourceDateEpoch !== undefined && compareRpmVersions(python.version, '4.18') < 0)
    throw new RpmdbError(
      `the host's librpm ${python.version} ignores SOURCE_DATE_EPOCH (rpm >= 4.18 takes the transaction time from it), so the image's rpm database would not be reproducible`,
      {
        value: python.version,
        hint: 'build on a host with rpm >= 4.18 (Debian 12), or unset SOURCE_DATE_EPOCH, or pass rpmdb "none"',
      },
    );
  const home = await mkdtemp(join(tmpdir(), 'distroforge-rpmdb-'));
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`\n$ [rpmdb] ${python.path} (rpm ${python.version} JUSTDB) ${root} ${format.dbpath} ${format.backend}\n`);
  const env: Record<string, string> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, LC_ALL: 'C' };
  if (options.sourceDateEpoch !== undefined) env.SOURCE_DATE_EPOCH = String(options.sourceDateEpoch);
  const child: ResultPromise = execa(python.path, ['-c', STEPPER, root, format.dbpath, format.backend, ...files], {
    env,
    extendEnv: false,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  child.stderr?.pipe(log, { end: false });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const failure = async (what: string): Promise<never> => {
    child.kill();
    const result = await child;
    log.end();
    throw new RpmdbError(
      `the host's librpm failed writing the image's rpm database (${what}, exit status ${result.exitCode ?? 'none'})`,
      { path: options.logFile, value: format.backend },
    );
  };
  const expect = async (word: string, key?: number): Promise<string[]> => {
    const next = await lines.next();
    const fields = next.done ? [] : String(next.value).split(' ');
    if (fields[0] !== word || (key !== undefined && fields[1] !== String(key)))
      return failure(
        `expected ${word}${key === undefined ? '' : ` ${key}`}, got ${next.done ? 'the end' : next.value}`,
      );
    return fields.slice(1);
  };
  const order = (await expect('order')).map(Number);
  let ms = performance.now() - start;
  // Only rpm's own steps count: the waits in between are the scriptlets'.
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      ms += performance.now() - t;
    }
  };
  return {
    order,
    begin: () => timed(async () => void (await expect('begin'))),
    add: (index) =>
      timed(async () => {
        await expect('ready', index);
        child.stdin!.write('go\n');
        await expect('added', index);
      }),
    finish: () =>
      timed(async () => {
        await expect('done');
        const result = await child;
        log.end();
        await rm(home, { recursive: true, force: true });
        if (result.exitCode !== 0) return failure('at its end');
        const to = join(root, format.dbpath);
        for (const f of await readdir(to)) if (TRANSIENT.test(f)) await rm(join(to, f), { force: true });
        return {
          written: true,
          ...format,
          files: (await readdir(to)).sort(),
          writer: `host librpm ${python.version} (python3-rpm)`,
          ...(options.sourceDateEpoch === undefined ? {} : { installTime: options.sourceDateEpoch }),
          ms: Math.round(ms),
        };
      }),
    abort: async () => {
      child.kill();
      await child;
      log.end();
      await rm(home, { recursive: true, force: true });
    },
  };
}
