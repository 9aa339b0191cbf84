import { execa, type Options, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { readlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { coreError } from '../errors.js';
import { idMapText, type IdMapping } from './id-map.js';
import type { UserNamespace } from './prepare-user-namespace.js';

/** How a command in a namespace gets its input and where its output goes. */
export interface UserNamespaceRunOptions {
  env?: Record<string, string>;
  /** Text fed to the command's stdin (default: none). */
  input?: string;
  /** `pipe` returns the output; a file appends to it (a build log). */
  output?: 'pipe' | { file: string };
  /** Also a new network namespace (only a loopback device, down): no network. */
  isolateNetwork?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface UserNamespaceRunResult {
  /** The command's exit code; 130 when `signal` aborted it, whenever the abort came. */
  exitCode: number;
  stdout: string;
  stderr: string;
}

// The child waits on fd 3 until its id maps are written: before that it would run as the overflow id.
export const WAIT_FOR_MAPS = 'read -r go <&3 || exit 125; exec 3<&-; exec "$@"';

/**
 * Runs `argv` (a host program) in a new user, mount and PID namespace whose ids are `ns.ids`: the
 * invoking user is root inside, with capabilities over the namespace's own mounts and the ids it
 * maps, and none over the host. The namespaces die with the command (`--kill-child`), mounts too.
 */
export async function runInUserNamespace(
  ns: UserNamespace,
  argv: readonly string[],
  options: UserNamespaceRunOptions = {},
): Promise<UserNamespaceRunResult> {
  const flags = ['--user', '--mount', '--pid', '--fork', '--kill-child', ...(options.isolateNetwork ? ['--net'] : [])];
  const output = options.output ?? 'pipe';
  const stdio: Options['stdio'] =
    output === 'pipe'
      ? [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe']
      : [
          options.input === undefined ? 'ignore' : 'pipe',
          { file: output.file, append: true },
          { file: output.file, append: true },
          'pipe',
        ];
  const child = execa(ns.unshare.path, [...flags, '--', '/bin/sh', '-c', WAIT_FOR_MAPS, 'sh', ...argv], {
    stdio,
    env: options.env ?? {},
    extendEnv: options.env === undefined,
    reject: false,
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    forceKillAfterDelay: 5_000,
    stripFinalNewline: false,
  }) as ResultPromise;
  try {
    await writeIdMapsOrKill(ns, child, argv[0]);
  } catch (error) {
    // An abort that comes before unshare made the namespace kills unshare (execa's cancelSignal):
    // that is the caller's cancellation, not a host without user namespaces.
    if (!options.signal?.aborted) throw error;
    const result = await child;
    return { exitCode: 130, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
  }
  // unshare's --kill-child does not reach the namespace's first process once it runs (it outlived an
  // aborted build by the length of a maintainer script's sleep): on abort, kill that process, the
  // PID namespace's init, which takes every process of the namespace with it.
  const killNamespace = () => killAll(childrenOf(child.pid));
  options.signal?.addEventListener('abort', killNamespace, { once: true });
  const abortedBeforeGo = options.signal?.aborted === true;
  if (abortedBeforeGo) {
    // Aborted while the maps were written (a loaded machine): the listener came too late to hear
    // it, and the command must not start at all: no "go" (its end of the pipe sees EOF and exits).
    killNamespace();
    (child.stdio[3] as NodeJS.WritableStream).end();
  } else {
    if (options.input !== undefined) child.stdin?.end(options.input);
    (child.stdio[3] as NodeJS.WritableStream).end('go\n');
  }
  const result = await child.finally(() => options.signal?.removeEventListener('abort', killNamespace));
  return {
    exitCode: abortedBeforeGo || result.isCanceled ? 130 : (result.exitCode ?? 128),
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}

/**
 * Writes the namespace's id maps for a just-started `unshare --user` child (after it unshared); when
 * that fails (the kernel, a seccomp policy or newuidmap refused), kills the child and throws
 * ERR_USERNS_UNAVAILABLE with unshare's own words.
 */
export async function writeIdMapsOrKill(ns: UserNamespace, child: ResultPromise, value?: string): Promise<void> {
  try {
    await writeIdMaps(ns, child);
  } catch (error) {
    // unshare --fork's child may outlive unshare (killed before its parent-death signal was set):
    // kill it too (after unshare, which would otherwise report its death on stderr), and close fd 3
    // so a survivor waiting for "go" exits; it holds the output pipes the wait below needs closed.
    const forked = childrenOf(child.pid);
    child.kill('SIGKILL');
    killAll(forked);
    (child.stdio[3] as NodeJS.WritableStream | null | undefined)?.end();
    const result = await child;
    throw coreError(
      'ERR_USERNS_UNAVAILABLE',
      `could not set up a user namespace: ${String(result.stderr || (error as Error).message).trim()}`,
      {
        ...(value === undefined ? {} : { value }),
        hint: 'check that user namespaces are enabled (sysctl user.max_user_namespaces) and that newuidmap/newgidmap (package uidmap) are setuid root',
        cause: error,
      },
    );
  }
}

async function writeIdMaps(ns: UserNamespace, child: ResultPromise): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) throw new Error('unshare did not start');
  await waitForOwnUserNamespace(pid, child);
  if (ns.mapper === 'direct') {
    // Root may write any map; gid_map first needs no setgroups change for a privileged writer.
    await writeFile(`/proc/${pid}/uid_map`, idMapText(ns.ids.uid));
    await writeFile(`/proc/${pid}/gid_map`, idMapText(ns.ids.gid));
    return;
  }
  await execa(ns.mapper.newuidmap.path, [String(pid), ...mapArguments(ns.ids.uid)]);
  await execa(ns.mapper.newgidmap.path, [String(pid), ...mapArguments(ns.ids.gid)]);
}

/** SIGKILL to each of `pids`, those already gone aside. */
function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The direct children of a process (unshare's: the namespace's first process). */
function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function mapArguments(map: readonly IdMapping[]): string[] {
  return map.flatMap((m) => [String(m.inside), String(m.outside), String(m.count)]);
}

/** unshare(2) happens right after exec: wait until the process is in a user namespace of its own. */
async function waitForOwnUserNamespace(pid: number, child: ResultPromise): Promise<void> {
  const ours = await readlink('/proc/self/ns/user');
  let exited = false;
  void child.finally(() => (exited = true));
  for (let waited = 0; waited < 10_000; waited += 2) {
    const theirs = await readlink(`/proc/${pid}/ns/user`).catch(() => undefined);
    if (theirs !== undefined && theirs !== ours) return;
    if (exited || theirs === undefined) throw new Error('unshare exited before creating the namespace');
    await sleep(2);
  }
  throw new Error('unshare did not create a user namespace within 10 s');
}
