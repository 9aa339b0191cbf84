import { findTool, ToolFailedError, type ToolSpec } from '@distroforge/core';
import { execa } from 'execa';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const tools = {
  mount: { names: ['mount'], install: 'apt-get install mount' },
  umount: { names: ['umount'], install: 'apt-get install mount' },
  chroot: { names: ['chroot'], install: 'apt-get install coreutils', extraDirs: ['/usr/sbin', '/sbin'] },
} satisfies Record<string, ToolSpec>;

/** A root directory prepared for running the target's own programs (dpkg, maintainer scripts). */
export interface ChrootSession {
  /** Runs `argv` inside the root; output is appended to the log; failure throws ToolFailedError. */
  run(argv: readonly string[], options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * Mounts proc, sys and dev into `root`, runs `body`, and unmounts (lazily, in reverse order) even
 * when `body` throws, so no mount outlives the call. Needs root.
 */
export async function withChroot<T>(
  root: string,
  env: Record<string, string>,
  logFile: string,
  signal: AbortSignal | undefined,
  body: (session: ChrootSession) => Promise<T>): Promise<T> {
  const [mount, umount, chroot] = await Promise.all([findTool(tools.mount), findTool(tools.umount), findTool(tools.chroot)]);
  const mounted: string[] = [];
  const mounts: [string, string[]][] = [
    ['proc', ['-t', 'proc', 'proc']],
    ['sys', ['--rbind', '/sys']],
    ['dev', ['--rbind', '/dev']],
  ];
  try {
    for (const [dir, args] of mounts) {
      const point = join(root, dir);
      await mkdir(point, { recursive: true });
      await execa(mount.path, [...args, point], { timeout: 30_000 });
      mounted.push(point);
      if (dir !== 'proc') await execa(mount.path, ['--make-rslave', point], { timeout: 30_000 });
    }
    const session: ChrootSession = {
      async run(argv, options = {}) {
        await appendFile(logFile, `\n$ chroot ${root} ${argv.join(' ')}\n`);
        const result = await execa(chroot.path, [root, ...argv], {
          env,
          extendEnv: false,
          stdin: 'ignore',
          stdout: { file: logFile, append: true },
          stderr: { file: logFile, append: true },
          timeout: options.timeoutMs ?? 30 * 60_000,
          ...(signal ? { cancelSignal: signal } : {}),
          forceKillAfterDelay: 10_000,
          reject: false,
        });
        if (result.exitCode !== 0 || result.failed) {
          const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-25).join('\n');
          throw new ToolFailedError(['chroot', root, ...argv], result.exitCode, tail, { path: logFile });
        }
      },
    };
    return await body(session);
  } finally {
    for (const point of mounted.reverse()) {
      await execa(umount.path, ['--lazy', '--recursive', point], { reject: false, timeout: 30_000 });
    }
  }
}
