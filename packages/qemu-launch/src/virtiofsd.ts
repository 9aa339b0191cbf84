import { findTool, knownTools, ToolMissingError, which } from '@distroforge/core';
import { execa, type ResultPromise } from 'execa';
import { access } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HelperFailedError } from './errors.js';

/** Debian 13+ ships virtiofsd (Rust) in /usr/libexec; Debian 12 ships the C one with qemu-system-common. */
const CANDIDATES = ['virtiofsd', '/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd'];

export async function findVirtiofsd(): Promise<string> {
  for (const candidate of CANDIDATES) {
    const path = await which(candidate);
    if (path) return path;
  }
  throw new ToolMissingError('virtiofsd', 'apt-get install virtiofsd', {
    hint: "install it with: apt-get install virtiofsd (on Debian 12 it comes with qemu-system-common), or share the directory with type: '9p'",
  });
}

export interface RunningVirtiofsd {
  socket: string;
  stop(): Promise<void>;
}

/** Starts virtiofsd serving `dir` on a vhost-user socket, waiting until the socket exists. */
export async function startVirtiofsd(
  binary: string,
  dir: string,
  socket: string,
  logFile: string,
  readOnly: boolean,
): Promise<RunningVirtiofsd> {
  // Both implementations accept the legacy `-o` options; the Rust one needs no sandbox when not root.
  const legacy = binary.endsWith('/qemu/virtiofsd');
  const args = [`--socket-path=${socket}`, '-o', `source=${dir}`, '-o', 'cache=auto'];
  if (readOnly && !legacy) args.push('-o', 'readonly');
  if (process.getuid?.() !== 0 && !legacy) args.push('--sandbox=none');
  // QEMU's C virtiofsd (Debian 12) has no read-only option ("unknown option"): it serves a read-only
  // bind mount of the directory instead, made in a mount namespace of its own (it runs as root;
  // unshare and sh exec, so the process stopped is virtiofsd itself).
  const [file, ...argv] = (
    readOnly && legacy
      ? [
          (await findTool(knownTools.unshare)).path,
          '--mount',
          '--propagation',
          'private',
          '--',
          'sh',
          '-c',
          'mount --bind -o ro -- "$0" "$0" && exec "$@"',
          dir,
          binary,
          ...args,
        ]
      : [binary, ...args]
  ) as [string, ...string[]];
  const child: ResultPromise = execa(file, argv, {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: { file: logFile },
    cleanup: true,
  });
  let exited = false;
  void child.then(() => (exited = true));
  for (let waited = 0; waited < 5000; waited += 50) {
    if (exited) break;
    try {
      await access(socket);
      return {
        socket,
        async stop() {
          child.kill('SIGTERM');
          await child;
        },
      };
    } catch {
      await sleep(50);
    }
  }
  child.kill('SIGKILL');
  await child;
  throw new HelperFailedError(
    'virtiofsd',
    exited ? 'it exited while starting' : 'its socket did not appear within 5 s',
    logFile,
  );
}
