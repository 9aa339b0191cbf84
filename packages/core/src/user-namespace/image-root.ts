import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { coreError, ToolFailedError } from '../errors.js';
import {
  prepareUserNamespace,
  type PrepareUserNamespaceOptions,
  type UserNamespace,
} from './prepare-user-namespace.js';
import { runInUserNamespace } from './run-in-user-namespace.js';

/**
 * Inside the namespace, before the image's program runs: its own /proc (of the new PID namespace),
 * the host's /sys read-only, a /dev on tmpfs holding only bind mounts of the harmless host nodes,
 * and a private /tmp. All of it vanishes with the namespace; the tree keeps only the mount points.
 */
const ENTER_IMAGE_ROOT = [
  'set -e',
  'root=$1; enter=$2; shift 2',
  // The host's tools with the host's PATH; the image's programs get the caller's environment.
  'image_path=${PATH-}; PATH=/usr/sbin:/usr/bin:/sbin:/bin; chroot_bin=$(command -v chroot)',
  'mount -t proc -o nosuid,nodev,noexec proc "$root/proc"',
  'mount --rbind /sys "$root/sys"',
  'mount -o remount,bind,ro "$root/sys" 2>/dev/null || true',
  'mount -t tmpfs -o mode=0755,nosuid,size=16m tmpfs "$root/dev"',
  'for node in null zero full random urandom tty; do : > "$root/dev/$node"; mount --bind "/dev/$node" "$root/dev/$node"; done',
  'ln -s /proc/self/fd "$root/dev/fd"; ln -s fd/0 "$root/dev/stdin"; ln -s fd/1 "$root/dev/stdout"; ln -s fd/2 "$root/dev/stderr"',
  'mkdir "$root/dev/pts" "$root/dev/shm"; mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"',
  'mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp"',
  // The program runs as a child: this shell stays the PID namespace's init with the host's root, so
  // the image's programs see they run in a chroot (ischroot, systemd-detect-virt --chroot compare
  // / with /proc/1/root) as under debootstrap or mmdebstrap. An init inside the root made libc6's
  // postinst take the image for a running system ("telinit u; sleep 1": a second per build).
  // A host program (an interpreter the image lacks) chroots itself once it is loaded.
  'set +e',
  'if [ "$enter" = host ]; then PATH=$image_path "$@"; else PATH=$image_path "$chroot_bin" "$root" "$@"; fi',
  'exit $?',
].join('\n');

/** Runs the image's own programs in its root. */
export interface ImageRootSession {
  /** The namespace the programs run in (its ids are those of the tree's files as the image sees them). */
  readonly namespace: UserNamespace;
  /**
   * Runs `argv` (a path inside the image) chrooted into the root; output is appended to the log;
   * a non-zero exit throws ToolFailedError with the log's tail. With `hostProgram`, `argv[0]` is a
   * program of the host started in the same namespace and mounts but not chrooted: it must enter the
   * root itself once loaded (rpm runs `<lua>` scriptlets so, with its embedded interpreter).
   */
  run(argv: readonly string[], options?: { timeoutMs?: number; input?: string; hostProgram?: boolean }): Promise<void>;
}

export interface ImageRootOptions extends PrepareUserNamespaceOptions {
  /** The environment of every program (nothing of the host's is passed). */
  env: Record<string, string>;
  /** Receives each command line and its output. */
  logFile: string;
  /** Whether the image's programs may reach the network (default: no). */
  network?: boolean;
  signal?: AbortSignal;
  /** A namespace already prepared (skips the checks). */
  namespace?: UserNamespace;
}

/**
 * Runs `body` with a session that executes the image's own programs (maintainer scripts, scriptlets,
 * hooks, profile scripts) inside `root`, in a user namespace — as root or not, the same way, so the
 * two cannot drift: the invoking user is root inside, ids 1..65535 its subordinate range.
 */
export async function withImageRoot<T>(
  root: string,
  options: ImageRootOptions,
  body: (session: ImageRootSession) => Promise<T>,
): Promise<T> {
  return body(await openImageRoot(root, options));
}

/**
 * The session of `withImageRoot`, for a caller that knows only later whether anything of the image
 * will run (it opens the session then: until then the root has no mount points). Each `run` is a
 * namespace of its own, so the session holds nothing open and needs no closing.
 */
export async function openImageRoot(root: string, options: ImageRootOptions): Promise<ImageRootSession> {
  const namespace = options.namespace ?? (await prepareUserNamespace(options));
  for (const dir of ['proc', 'sys', 'dev', 'tmp']) await mkdir(join(root, dir), { recursive: true });
  const session: ImageRootSession = {
    namespace,
    async run(argv, runOptions = {}) {
      if (argv.length === 0) throw coreError('ERR_USAGE', 'no command to run in the image root', { value: argv });
      await appendFile(options.logFile, `\n$ [${root}] ${argv.join(' ')}\n`);
      const result = await runInUserNamespace(
        namespace,
        ['/bin/sh', '-c', ENTER_IMAGE_ROOT, 'sh', root, runOptions.hostProgram ? 'host' : 'chroot', ...argv],
        {
          env: options.env,
          output: { file: options.logFile },
          isolateNetwork: !options.network,
          timeoutMs: runOptions.timeoutMs ?? 30 * 60_000,
          ...(runOptions.input === undefined ? {} : { input: runOptions.input }),
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      if (result.exitCode !== 0) {
        const tail = (await readFile(options.logFile, 'utf8').catch(() => '')).split('\n').slice(-25).join('\n');
        throw new ToolFailedError([...argv], result.exitCode, tail, { path: options.logFile });
      }
    },
  };
  return session;
}
