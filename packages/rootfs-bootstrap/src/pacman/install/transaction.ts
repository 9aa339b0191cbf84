import {
  assignOwners,
  openImageRoot,
  resolveInRoot,
  ToolFailedError,
  type ImageRootSession,
  type ManifestEntry,
  type TreeOwner,
  type UserNamespace,
} from '@distroforge/core';
import { access, chmod, constants, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BootstrapProgress } from '../../options.js';
import { BootstrapOptionsError } from '../../errors.js';
import { PacmanHookError, PacmanScriptletError } from '../errors.js';
import { hookUnmetDepends, hookMatches, loadAlpmHooks, type AlpmHook } from './alpm-hooks.js';
import {
  createLocalDatabase,
  writeLocalDatabaseEntry,
  type PacmanInstallReason,
  type PacmanValidation,
} from './local-database.js';
import { LeafWriters } from './file-writers.js';
import { KnownTree } from './known-tree.js';
import {
  UNPACK_THREADS,
  unpackPacmanPackageWith,
  type PacmanPackageContents,
  type PacmanPackageMetadata,
} from './package-archive.js';

/**
 * One package of a transaction, read already, in installation order: its metadata
 * (`readPacmanPackageMetadata`; the file list comes from unpacking it) or all of it
 * (`readPacmanPackage`: needed when a PreTransaction hook of `hookDirs` may match its files).
 */
export interface PacmanTransactionPackage {
  contents: PacmanPackageMetadata | PacmanPackageContents;
  reason: PacmanInstallReason;
  validation: readonly PacmanValidation[];
}

export interface PacmanTransactionOptions {
  /**
   * Runs the `.INSTALL` functions, hooks and ldconfig in the image root, in a session opened when
   * the first of them is due (none due: none opened, the same tree as without); without it, files
   * and database only.
   */
  namespace: UserNamespace | undefined;
  /**
   * Receives the output of every scriptlet and hook (needed with a namespace); a function makes it
   * when the first of them is due and returns its path (a transaction that runs nothing makes none).
   */
  logFile?: string | (() => Promise<string>);
  /** `%INSTALLDATE%` of every package (seconds). */
  installDate: number;
  /** A failing `.INSTALL` function or hook (or a hook's unmet Depends) is an error; otherwise it is reported and the transaction goes on, as pacman does. */
  strictScripts: boolean;
  /** Host folders of extra hooks, after the image's (pacman's `--hookdir`). */
  hookDirs: readonly string[];
  /** The environment of scriptlets and hooks. */
  env: Record<string, string>;
  onProgress?: (event: BootstrapProgress) => void;
  signal?: AbortSignal;
}

/** What ran, in order. */
export interface PacmanTransactionReport {
  scriptlets: {
    package: string;
    function: 'pre_install' | 'post_install';
    status: 'ran' | 'failed' | 'skipped';
    reason?: string;
  }[];
  hooks: {
    name: string;
    when: 'PreTransaction' | 'PostTransaction';
    status: 'ran' | 'failed';
    targets: string[];
    reason?: string;
  }[];
  /** Owners and special modes from the archives, and their device nodes and fifos; later packages win a path. */
  manifest: ManifestEntry[];
  /** Each package's file list as unpacked (alpm's, as in its local database), in installation order. */
  installed: { name: string; files: string[] }[];
  /** Whether anything ran in the image (the session was opened): then the files got their owners in the namespace. */
  ranInImage: boolean;
}

const SCRIPT_DIR = '.distroforge-alpm';
const MOUNT_POINTS = ['proc', 'sys', 'dev', 'tmp'] as const;

/**
 * Installs packages into `root` the way pacman's `-S` commits a transaction on an empty root:
 * PreTransaction hooks; then for each package in order its `pre_install`, its files (in-process)
 * and its local database entry, then its `post_install`; ldconfig when the image has
 * /etc/ld.so.conf; PostTransaction hooks (the hooks of the installed image, then `hookDirs`).
 * Scriptlets and hooks run in the image root in the user namespace (core's `openImageRoot`, when the
 * first is due), as root or not; before each runs, the files unpacked since get their archive
 * owners there (`assignOwners`). The caller reads the owners back (`scanTree` with the namespace)
 * when `ranInImage`. A package may still be being read (a promise): its files are unpacked when
 * it is ready and its turn has come, and nothing of the image runs before every package is ready
 * (a package that fails its reading stops the transaction before any of the image's code ran).
 */
export async function installPacmanTransaction(
  root: string,
  packages: readonly (PacmanTransactionPackage | Promise<PacmanTransactionPackage>)[],
  options: PacmanTransactionOptions,
): Promise<PacmanTransactionReport> {
  const report: PacmanTransactionReport = { scriptlets: [], hooks: [], manifest: [], installed: [], ranInImage: false };
  // Mount points the session makes are not the packages': the first to ship one sets its mode.
  const adopt = new Set<string>();
  await createLocalDatabase(root);
  // Taken when the local database exists: what the root holds besides the packages' paths.
  const known = new KnownTree(root, new Set(await readdir(root)));
  const pending = new Map<string, TreeOwner>();
  // Owners are given in the namespace once something runs there (before, nothing looks at them).
  const flushOwners = async () => {
    if (!options.namespace || !report.ranInImage || pending.size === 0) return;
    await assignOwners(options.namespace, root, [...pending.values()]);
    pending.clear();
  };
  // Every package read, in order: the earliest failure is the one thrown, whatever the timing.
  const allPackages = async () => {
    const all: PacmanTransactionPackage[] = [];
    for (const pkg of packages) all.push(await pkg);
    return all;
  };
  let opening: Promise<ImageRootSession> | undefined;
  const namespace = options.namespace;
  const session = namespace
    ? () =>
        (opening ??= (async () => {
          await allPackages();
          if (options.logFile === undefined) throw new Error('installPacmanTransaction: a namespace needs a logFile');
          const logFile = typeof options.logFile === 'string' ? options.logFile : await options.logFile();
          const present = new Set(await readdir(root));
          for (const name of MOUNT_POINTS) if (!present.has(name)) adopt.add(`/${name}`);
          const opened = await openImageRoot(root, {
            env: options.env,
            logFile,
            namespace,
            ...(options.signal ? { signal: options.signal } : {}),
          });
          report.ranInImage = true;
          // The session's mount points, and whatever its programs write, are not the unpacks'.
          known.forget();
          return opened;
        })())
    : undefined;

  // One set of writer threads for all the packages (each unpack leaves nothing of its own pending).
  const writers = new LeafWriters(UNPACK_THREADS);
  const transaction = async () => {
    if (session)
      await runHooks(
        root,
        'PreTransaction',
        async () =>
          (await allPackages()).map((p) => ({
            name: p.contents.info.name,
            files: 'files' in p.contents ? p.contents.files : undefined,
          })),
        [],
        session,
        options,
        report,
        flushOwners,
      );
    let done = 0;
    for (const entry of packages) {
      options.signal?.throwIfAborted();
      const pkg = await entry;
      const { info } = pkg.contents;
      if (
        session &&
        (await runScriptlet(root, pkg.contents, 'pre_install', session, options, report, flushOwners, adopt))
      )
        known.forget();
      const unpacked = await unpackPacmanPackageWith(
        pkg.contents.file,
        root,
        {
          chown: false,
          backup: info.backup,
          adoptDirectories: adopt,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(pkg.contents.archive ? { archive: pkg.contents.archive } : {}),
          known,
        },
        writers,
      );
      for (const path of unpacked.paths) pending.delete(path.slice(1));
      for (const entry of unpacked.manifest) {
        report.manifest.push(entry);
        if (entry.type === undefined || entry.type === 'file' || entry.type === 'dir' || entry.type === 'symlink') {
          pending.set(entry.path.slice(1), {
            path: entry.path.slice(1),
            uid: entry.uid ?? 0,
            gid: entry.gid ?? 0,
            ...(entry.mode === undefined ? {} : { mode: entry.mode }),
          });
        }
      }
      report.installed.push({ name: info.name, files: unpacked.files });
      writeLocalDatabaseEntry(root, {
        contents: { ...pkg.contents, files: unpacked.files },
        reason: pkg.reason,
        installDate: options.installDate,
        validation: pkg.validation,
        backup: unpacked.backup,
      });
      options.onProgress?.({ phase: 'unpack', name: info.name, done: ++done, total: packages.length });
      if (
        session &&
        (await runScriptlet(root, pkg.contents, 'post_install', session, options, report, flushOwners, adopt))
      )
        known.forget();
    }
    if (session) {
      await runLdconfig(root, session, flushOwners);
      await runHooks(
        root,
        'PostTransaction',
        async () => report.installed,
        (await allPackages()).map((p) => p.contents.info),
        session,
        options,
        report,
        flushOwners,
      );
    }
    await flushOwners();
  };

  try {
    await transaction();
  } finally {
    await writers.close();
  }
  // Mount points no package shipped (and no scriptlet made, as pacman makes /tmp) go again.
  for (const path of adopt) await rmdir(join(root, path)).catch(() => undefined);
  return report;
}

/** Runs one `.INSTALL` function as pacman does (`sh -c '. SCRIPT; FUNCTION VERSION'` in the root); returns whether it ran. */
async function runScriptlet(
  root: string,
  contents: PacmanPackageMetadata,
  fn: 'pre_install' | 'post_install',
  session: () => Promise<ImageRootSession>,
  options: PacmanTransactionOptions,
  report: PacmanTransactionReport,
  flushOwners: () => Promise<void>,
  adopt: Set<string>,
): Promise<boolean> {
  const name = contents.info.name;
  // pacman looks for the function's name in the script's text before running anything.
  if (!contents.install || !contents.install.includes(fn)) return false;
  if (!(await imageHas(root, '/bin/sh'))) {
    report.scriptlets.push({ package: name, function: fn, status: 'skipped', reason: 'no /bin/sh in the image yet' });
    return false;
  }
  options.onProgress?.({ phase: 'configure', step: `${name}: ${fn}` });
  const opened = await session();
  await flushOwners();
  // pacman runs scriptlets from ROOT/tmp, made 1777 when missing (here: when no package made it yet).
  if (adopt.delete('/tmp')) await chmod(join(root, 'tmp'), 0o1777);
  const dir = join(root, SCRIPT_DIR);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, '.INSTALL'), contents.install, { mode: 0o644 });
  try {
    await opened.run(['/bin/sh', '-c', `. /${SCRIPT_DIR}/.INSTALL; ${fn} ${contents.info.version}`], {
      timeoutMs: 10 * 60_000,
    });
    report.scriptlets.push({ package: name, function: fn, status: 'ran' });
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    if (options.strictScripts)
      throw new PacmanScriptletError(name, fn, error.logTail, { path: error.path, cause: error });
    report.scriptlets.push({
      package: name,
      function: fn,
      status: 'failed',
      reason: error.message.split('\n')[0] ?? '',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return true;
}

async function runHooks(
  root: string,
  when: 'PreTransaction' | 'PostTransaction',
  /** The transaction's packages and their files (asked for only when a hook of `when` exists). */
  transaction: () => Promise<readonly { name: string; files: string[] | undefined }[]>,
  /** What is installed when the hooks run (their `Depends`): nothing before the transaction, every package after it. */
  installed: readonly PacmanPackageMetadata['info'][],
  session: () => Promise<ImageRootSession>,
  options: PacmanTransactionOptions,
  report: PacmanTransactionReport,
  flushOwners: () => Promise<void>,
): Promise<void> {
  const hooks = (await loadAlpmHooks(root, options.hookDirs)).filter((h) => h.when === when);
  if (hooks.length === 0) return;
  const lists = (await transaction()).map((p) => {
    if (p.files === undefined)
      throw new BootstrapOptionsError(
        `a ${when} hook may match ${p.name}'s files, which were not read before the transaction: read the packages with readPacmanPackage`,
        { value: p.name },
      );
    return { name: p.name, files: p.files };
  });
  for (const hook of hooks) {
    const { triggered, targets } = hookMatches(hook, lists);
    if (!triggered) continue;
    options.onProgress?.({ phase: 'configure', step: `hook ${hook.name}` });
    const failed = (reason: string, logTail: string, cause?: unknown) => {
      if (options.strictScripts || (when === 'PreTransaction' && hook.abortOnFail)) {
        // The log, when the hook ran (its ToolFailedError names it); an unmet Depends ran nothing.
        const path = cause instanceof ToolFailedError ? cause.path : undefined;
        throw new PacmanHookError(hook.name, reason, logTail, { path, ...(cause ? { cause } : {}) });
      }
      report.hooks.push({ name: hook.name, when, status: 'failed', targets, reason });
    };
    const unmet = hookUnmetDepends(hook, installed);
    if (unmet.length > 0) {
      failed(`could not satisfy dependencies (${unmet.join(', ')})`, '');
      continue;
    }
    const opened = await session();
    await flushOwners();
    try {
      await opened.run(execOf(hook), {
        timeoutMs: 30 * 60_000,
        ...(hook.needsTargets ? { input: targets.map((t) => `${t}\n`).join('') } : {}),
      });
      report.hooks.push({ name: hook.name, when, status: 'ran', targets: hook.needsTargets ? targets : [] });
    } catch (error) {
      if (!(error instanceof ToolFailedError)) throw error;
      failed(
        `${hook.exec!.join(' ')} failed${error.exitCode === undefined ? '' : ` with exit code ${error.exitCode}`}`,
        error.logTail,
        error,
      );
    }
  }
}

function execOf(hook: AlpmHook): string[] {
  return hook.exec!;
}

/** pacman's ldconfig after the packages: when the image has /etc/ld.so.conf and /sbin/ldconfig (its result is ignored, as pacman does). */
async function runLdconfig(
  root: string,
  session: () => Promise<ImageRootSession>,
  flushOwners: () => Promise<void>,
): Promise<void> {
  if (!(await imageHas(root, '/etc/ld.so.conf')) || !(await imageHas(root, '/sbin/ldconfig', true))) return;
  const opened = await session();
  await flushOwners();
  await opened.run(['/sbin/ldconfig']).catch((error: unknown) => {
    if (!(error instanceof ToolFailedError)) throw error;
  });
}

/** Whether an in-image path exists (links followed inside the root), and is executable when asked. */
async function imageHas(root: string, path: string, executable = false): Promise<boolean> {
  try {
    const inRoot = await resolveInRoot(root, path, { followFinal: true, aboveRoot: 'clamp' });
    await access(join(root, inRoot), executable ? constants.X_OK : constants.F_OK);
    return true;
  } catch {
    return false;
  }
}
