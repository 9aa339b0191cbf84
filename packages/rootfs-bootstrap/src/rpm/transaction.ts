import {
  assignOwners,
  ToolFailedError,
  withImageRoot,
  type FoundTool,
  type ImageRootSession,
  type UserNamespace,
} from '@distroforge/core';
import {
  extractRpm,
  idResolverFromRoot,
  readRpm,
  toCoreManifest,
  type RpmFile,
  type RpmManifestEntry,
  type RpmScriptlet,
} from '@distroforge/rpm-extract';
import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RpmFileConflictError, RpmLuaScriptletError, RpmScriptletError } from '../errors.js';
import { findHostRpmPython } from './host-rpm-python.js';
import { prepareLuaScriptlet, type LuaInterpreter } from './lua-scriptlet.js';
import type { RpmCandidate } from './candidate.js';
import { findRpmFileConflicts } from './file-conflicts.js';
import type { RpmScriptletReport } from './scriptlets.js';
import { readRpmTriggers, type RpmFileTrigger, type RpmTrigger } from './triggers.js';
import { compareRpmVersions } from './version.js';

/** One scriptlet run (or not) in the order rpm runs them; `scriptlet` is rpm's slot without the % (`pre`, `triggerin`, `filetriggerin`, ...). */
export interface RpmScriptletEvent {
  package: string;
  scriptlet: string;
  /** For triggers: the package that set it off; for file triggers: the package whose files matched (transfiletriggerin: the transaction). */
  setOffBy?: string;
  status: 'ran' | 'failed' | 'skipped';
  /** Why it was skipped or how it failed. */
  reason?: string;
  /** For `<lua>` scriptlets: which rpm's embedded Lua ran it (the image's, or the host's librpm entering the root). */
  interpreter?: string;
}

/** What `installRpmTransaction` returns. */
export interface RpmTransactionResult {
  /** Manifest entries of every package, in install order. */
  entries: RpmManifestEntry[];
  scriptlets: RpmScriptletReport & { events: RpmScriptletEvent[] };
}

export interface RpmTransactionOptions {
  /** Run the scriptlets (in a user namespace); without, the packages are only unpacked. */
  run?: {
    namespace: UserNamespace;
    logFile: string;
    sourceDateEpoch: number | undefined;
    /** Stop at the first failing `%post`/trigger/`%posttrans` too (a failing `%pretrans`/`%pre` always stops). */
    abortOnFailure: boolean;
    /**
     * A `<lua>` scriptlet that neither the image's rpm (not installed yet) nor the host's librpm
     * (no python3-rpm) can run: skip and report it, or fail.
     */
    luaScriptlets: 'skip' | 'fail';
    signal?: AbortSignal;
  };
  onUnpack?: (name: string, done: number, total: number) => void;
  /** Called once every package is unpacked (and its %post and triggers ran), before any %posttrans: where a database written whole is put in. */
  afterPackages?: () => Promise<void>;
  /**
   * The rpm database written as rpm writes it during the transaction: `begin` before any
   * `%pretrans` (rpm opens its database first), `added` once a package's files are in place (rpm
   * adds its header there, before its file triggers and `%post`), `end` after the last scriptlet.
   * On a failure, `abort` instead of `end`.
   */
  database?: {
    begin(): Promise<void>;
    added(m: RpmTransactionMember): Promise<void>;
    end(): Promise<void>;
    abort(): Promise<void>;
  };
  signal?: AbortSignal;
}

/** A package of the transaction with its header facts (`loadRpmTransaction`). */
export interface RpmTransactionMember {
  candidate: RpmCandidate;
  file: string;
  id: string;
  files: RpmFile[];
  scripts: Partial<Record<string, RpmScriptlet>>;
  triggers: RpmTrigger[];
  fileTriggers: RpmFileTrigger[];
}

/** rpm-extract's scriptlet names that run on a first install, as rpm's spec calls them. */
const INSTALL_SLOTS: Record<string, string[]> = {
  pretrans: ['pretrans'],
  prein: ['pre'],
  postin: ['post'],
  posttrans: ['posttrans'],
};
const CHROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** rpm's lib/rpmtriggers.c bound: file triggers of this priority or more run before `%post`, the others after it. */
const FILE_TRIGGER_HIGH = 10_000;

/**
 * Reads the headers of a transaction's packages (files, scriptlets, triggers) and refuses file
 * conflicts between them (rpm's rule: `RpmFileConflictError` naming both packages and the path).
 */
export async function loadRpmTransaction(
  order: readonly { candidate: RpmCandidate; file: string }[],
): Promise<RpmTransactionMember[]> {
  const members: RpmTransactionMember[] = [];
  for (const { candidate, file } of order) {
    const info = await readRpm(file);
    const { triggers, fileTriggers } = await readRpmTriggers(file);
    members.push({
      candidate,
      file,
      id: `${candidate.name}-${candidate.version}.${candidate.architecture}`,
      files: info.files,
      scripts: info.scripts,
      triggers,
      fileTriggers,
    });
  }
  const conflicts = findRpmFileConflicts(members);
  if (conflicts.length > 0) throw new RpmFileConflictError(conflicts);
  return members;
}

/**
 * Installs `members` (from `loadRpmTransaction`, in install order) into `root` as one rpm
 * transaction on an empty root; with `run`, the scriptlets in rpm's order:
 * every `%pretrans`; per package `%pre`, its files, high-priority file triggers (those of installed
 * packages its files set off, then its own for files already installed), `%post`, `%triggerin` (of
 * installed packages it sets off, then its own), low-priority file triggers; then every
 * `%posttrans` and the `%transfiletriggerin`s with the transaction's matching files on stdin.
 * Arguments as rpm 4.18 passes them on a first install: `1` for scripts, `1 1` for triggers, `0`
 * for file triggers. A failing `%pretrans` or `%pre` throws `RpmScriptletError` (rpm would leave the
 * package out; the tree is then not what was asked for).
 */
export async function installRpmTransaction(
  root: string,
  members: readonly RpmTransactionMember[],
  options: RpmTransactionOptions,
): Promise<RpmTransactionResult> {
  const entries: RpmManifestEntry[] = [];
  const report: RpmTransactionResult['scriptlets'] = { ran: [], failures: [], skipped: [], events: [] };
  let done = 0;
  const unpack = async (m: RpmTransactionMember): Promise<RpmManifestEntry[]> => {
    options.signal?.throwIfAborted();
    const extracted = await extractRpm(m.file, root, { merge: true });
    entries.push(...extracted.manifest.entries);
    options.onUnpack?.(m.candidate.name, ++done, members.length);
    return extracted.manifest.entries;
  };
  const database = options.database;
  try {
    await transact();
    await database?.end();
  } catch (error) {
    await database?.abort();
    throw error;
  }
  return { entries, scriptlets: report };

  async function transact(): Promise<void> {
    const run = options.run;
    if (!run) {
      await database?.begin();
      for (const m of members) {
        await unpack(m);
        await database?.added(m);
      }
      await options.afterPackages?.();
      for (const m of members) {
        const kinds = [
          ...Object.keys(m.scripts).flatMap((s) => INSTALL_SLOTS[s] ?? []),
          ...m.triggers.map(() => 'triggerin'),
          ...m.fileTriggers.map((t) => t.kind),
        ];
        if (kinds.length > 0)
          report.skipped.push({
            package: m.candidate.name,
            scriptlets: [...new Set(kinds)].sort(),
            reason: 'scriptlets were not requested',
          });
      }
      return;
    }

    const env: Record<string, string> = {
      PATH: CHROOT_PATH,
      LC_ALL: 'C',
      HOME: '/root',
      ...(run.sourceDateEpoch === undefined ? {} : { SOURCE_DATE_EPOCH: String(run.sourceDateEpoch) }),
    };
    await mkdir(join(root, 'var/tmp'), { recursive: true });
    const interpreters = new LuaInterpreters(root);
    await withImageRoot(
      root,
      { env, logFile: run.logFile, namespace: run.namespace, ...(run.signal ? { signal: run.signal } : {}) },
      async (session) => {
        const exec = (
          m: RpmTransactionMember,
          slot: string,
          script: RpmScriptlet | undefined,
          args: number[],
          extra: { setOffBy?: string; input?: string; fatal?: boolean } = {},
        ) => runScriptlet(session, root, run, report, interpreters, m, slot, script, args, extra);
        const installed: RpmTransactionMember[] = [];
        await database?.begin();
        for (const m of members) await exec(m, 'pretrans', m.scripts.pretrans, [1], { fatal: true });
        for (const m of members) {
          await exec(m, 'pre', m.scripts.prein, [1], { fatal: true });
          const own = await unpack(m);
          const manifest = toCoreManifest(
            { format: 'distroforge-rpm-manifest', version: 1, entries: own },
            await idResolverFromRoot(root),
          ).entries;
          const owners = manifest.filter(
            (e) => e.type === undefined || e.type === 'file' || e.type === 'dir' || e.type === 'symlink',
          );
          await assignOwners(
            run.namespace,
            root,
            owners.map((e) => ({
              path: e.path.slice(1),
              uid: e.uid ?? 0,
              gid: e.gid ?? 0,
              ...(e.mode === undefined ? {} : { mode: e.mode }),
            })),
          );
          installed.push(m);
          await database?.added(m);
          const fileTriggers = async (high: boolean) => {
            const inClass = (t: RpmFileTrigger) =>
              t.kind === 'filetriggerin' && t.priority >= FILE_TRIGGER_HIGH === high;
            // File triggers of installed packages that this package's files set off (highest priority first).
            for (const { owner, trigger } of byPriority(
              installed.filter((o) => o !== m),
              inClass,
            )) {
              const paths = matching(m.files, trigger.prefixes);
              if (paths.length > 0)
                await exec(owner, 'filetriggerin', trigger, [0], {
                  setOffBy: m.candidate.name,
                  input: paths.join('\n') + '\n',
                });
            }
            // This package's own file triggers, for the files already installed (its own included).
            for (const { trigger } of byPriority([m], inClass)) {
              const paths = installed.flatMap((o) => matching(o.files, trigger.prefixes));
              if (paths.length > 0)
                await exec(m, 'filetriggerin', trigger, [0], {
                  setOffBy: 'installed files',
                  input: paths.join('\n') + '\n',
                });
            }
          };
          await fileTriggers(true);
          await exec(m, 'post', m.scripts.postin, [1]);
          for (const owner of installed) {
            if (owner === m) continue;
            for (const t of owner.triggers)
              if (triggerMatches(t, m.candidate))
                await exec(owner, 'triggerin', t, [1, 1], { setOffBy: m.candidate.name });
          }
          // This package's own triggers, each script once (rpm runs a script with several names once).
          const ran = new Set<number>();
          for (const t of m.triggers) {
            const target = installed.find((o) => o !== m && triggerMatches(t, o.candidate));
            if (!target || ran.has(t.script)) continue;
            ran.add(t.script);
            await exec(m, 'triggerin', t, [1, 1], { setOffBy: target.candidate.name });
          }
          await fileTriggers(false);
        }
        await options.afterPackages?.();
        for (const m of members) await exec(m, 'posttrans', m.scripts.posttrans, [1]);
        for (const { owner, trigger } of byPriority(members, (t) => t.kind === 'transfiletriggerin')) {
          const paths = members.flatMap((o) => matching(o.files, trigger.prefixes));
          if (paths.length > 0)
            await exec(owner, 'transfiletriggerin', trigger, [0], {
              setOffBy: 'the transaction',
              input: paths.join('\n') + '\n',
            });
        }
      },
    );
  }
}

/** Which Lua runs a `<lua>` scriptlet: the image's rpm once installed, else the host's librpm (looked up once). */
class LuaInterpreters {
  private host: Promise<FoundTool | undefined> | undefined;
  constructor(private readonly root: string) {}
  async pick(): Promise<LuaInterpreter | undefined> {
    const imageHasRpm = await lstat(join(this.root, 'usr/bin/rpm')).then(
      () => true,
      () => false,
    );
    if (imageHasRpm) return { kind: 'image-rpm' };
    this.host ??= findHostRpmPython().catch(() => undefined);
    const python = await this.host;
    return python ? { kind: 'host', python } : undefined;
  }
}

function byPriority(
  members: readonly RpmTransactionMember[],
  keep: (t: RpmFileTrigger) => boolean,
): { owner: RpmTransactionMember; trigger: RpmFileTrigger }[] {
  const all = members.flatMap((owner) => owner.fileTriggers.filter(keep).map((trigger) => ({ owner, trigger })));
  // A stable sort: equal priorities keep install order.
  return all.sort((a, b) => b.trigger.priority - a.trigger.priority);
}

/** rpm's prefix match: the path starts with the prefix as a string. */
function matching(files: readonly RpmFile[], prefixes: readonly string[]): string[] {
  return files.filter((f) => prefixes.some((p) => f.path.startsWith(p))).map((f) => f.path);
}

/** A `%triggerin` names a package (not a capability), optionally with a version range. */
function triggerMatches(t: RpmTrigger, c: RpmCandidate): boolean {
  if (t.name !== c.name) return false;
  if ((t.flags & 0x0e) === 0 || t.version === '') return true;
  const cmp = compareRpmVersions(c.version, t.version);
  return ((t.flags & 2) !== 0 && cmp < 0) || ((t.flags & 4) !== 0 && cmp > 0) || ((t.flags & 8) !== 0 && cmp === 0);
}

async function runScriptlet(
  session: ImageRootSession,
  root: string,
  run: NonNullable<RpmTransactionOptions['run']>,
  report: RpmTransactionResult['scriptlets'],
  interpreters: LuaInterpreters,
  m: RpmTransactionMember,
  slot: string,
  script: RpmScriptlet | RpmTrigger | RpmFileTrigger | undefined,
  args: number[],
  extra: { setOffBy?: string; input?: string; fatal?: boolean },
): Promise<void> {
  if (!script) return;
  run.signal?.throwIfAborted();
  const name = m.candidate.name;
  const event: RpmScriptletEvent = {
    package: name,
    scriptlet: slot,
    ...(extra.setOffBy ? { setOffBy: extra.setOffBy } : {}),
    status: 'ran',
  };
  report.events.push(event);
  const lua = script.interpreter[0] === '<lua>';
  const base = `/var/tmp/rpm-tmp.${name}.${slot}`;
  let argv: string[];
  let hostProgram = false;
  const written: string[] = [];
  if (lua) {
    const interpreter = await interpreters.pick();
    if (!interpreter) {
      if (run.luaScriptlets === 'fail') throw new RpmLuaScriptletError(name, slot);
      event.status = 'skipped';
      event.reason =
        "<lua> needs rpm's embedded interpreter: the image has no /usr/bin/rpm at this point and the host has no python3-rpm";
      addTo(report.skipped, name, slot, event.reason);
      return;
    }
    event.interpreter =
      interpreter.kind === 'image-rpm' ? "the image's rpm" : `host librpm ${interpreter.python.version} (python3-rpm)`;
    const prepared = await prepareLuaScriptlet(
      root,
      base,
      {
        body: script.body,
        description: `%${slot}(${m.candidate.name}-${m.candidate.version}.${m.candidate.architecture})`,
        args,
        fileTrigger: slot.includes('filetrigger'),
      },
      interpreter,
    );
    ({ argv, hostProgram } = prepared);
    written.push(...prepared.files);
  } else {
    argv = [...script.interpreter, ...(script.body === undefined ? [] : [base]), ...args.map(String)];
    if (script.body !== undefined) {
      await writeFile(join(root, base), script.body, { mode: 0o700 });
      written.push(base);
    }
  }
  try {
    await session.run(argv, {
      timeoutMs: 10 * 60_000,
      hostProgram,
      ...(extra.input === undefined ? {} : { input: extra.input }),
    });
    addTo(report.ran, name, slot);
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    event.status = 'failed';
    event.reason = `exit status ${error.exitCode ?? 'unknown'}`;
    if (extra.fatal || run.abortOnFailure)
      throw new RpmScriptletError(name, slot, error.exitCode, error.logTail, run.logFile, error);
    report.failures.push({ package: name, scriptlet: slot, message: error.message.split('\n')[0] ?? '' });
  } finally {
    for (const file of written) await rm(join(root, file), { force: true });
  }
}

function addTo(
  list: { package: string; scriptlets: string[]; reason?: string }[],
  name: string,
  slot: string,
  reason?: string,
): void {
  const entry = list.find((e) => e.package === name && e.reason === reason);
  if (entry) entry.scriptlets.push(slot);
  else list.push({ package: name, scriptlets: [slot], ...(reason === undefined ? {} : { reason }) });
}
