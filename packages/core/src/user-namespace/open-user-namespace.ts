import { execa, type Options, type ResultPromise } from 'execa';
import { findTool } from '../find-tool.js';
import { knownTools } from '../known-tools.js';
import type { UserNamespace } from './prepare-user-namespace.js';
import { WAIT_FOR_MAPS, writeIdMapsOrKill } from './run-in-user-namespace.js';

/** A user namespace kept open for long-running programs (QEMU sharing a tree with the image's owners). */
export interface OpenUserNamespace {
  /** The host pid of the process holding the namespace open. */
  pid: number;
  /**
   * The command prefix that runs a program inside the namespace as its root (`nsenter`), keeping the
   * caller's supplementary groups (the `kvm` group's access to /dev/kvm survives).
   */
  enterCommand: readonly string[];
  /** Ends the holder; the namespace lives on only while programs started in it run. */
  close(): Promise<void>;
}

/**
 * Opens a user namespace with `ns.ids` (the invoking user is root inside, ids 1..65535 its
 * subordinate range) that programs enter with `enterCommand`: unlike `runInUserNamespace`, the
 * program is any child the caller starts (with its own stdio), for as long as it likes. Only the user
 * namespace is new: mounts, PIDs and the network are the host's. The holder exits on `close()` or
 * when this process dies (its stdin is a pipe from here).
 */
export async function openUserNamespace(ns: UserNamespace): Promise<OpenUserNamespace> {
  const nsenter = await findTool(knownTools.nsenter);
  // fd 3 says go once the maps are written; cat's stdin is a pipe from here, so it ends with us.
  const stdio: Options['stdio'] = ['pipe', 'ignore', 'pipe', 'pipe'];
  const holder = execa(ns.unshare.path, ['--user', '--', '/bin/sh', '-c', WAIT_FOR_MAPS, 'sh', 'cat'], {
    stdio,
    reject: false,
    cleanup: true,
  }) as ResultPromise;
  await writeIdMapsOrKill(ns, holder);
  (holder.stdio[3] as NodeJS.WritableStream).end('go\n');
  const pid = holder.pid!;
  return {
    pid,
    enterCommand: [nsenter.path, '--user', '--preserve-credentials', `--target=${pid}`, '--'],
    close: async () => {
      holder.kill('SIGKILL');
      await holder;
    },
  };
}
