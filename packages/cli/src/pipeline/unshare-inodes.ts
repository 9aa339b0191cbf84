import { lstatSync, readdirSync } from 'node:fs';
import { link, lstat, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runLogged, type RunLoggedOptions } from '@distroforge/core';

/**
 * Gives each of `paths` (absolute, inside `root`) an inode of its own when it shares one with a tree
 * outside `root` (a hard-link farm of an upstream stage): a copy with the same contents, owner, mode,
 * times and xattrs (`cp -a`) is renamed over every path of `root` linked to that inode, so links
 * inside the tree stay links and the upstream tree is left as it was. Directories are never shared.
 * Returns how many inodes were copied.
 */
export async function unshareInodes(
  root: string,
  paths: readonly string[],
  run: Pick<RunLoggedOptions, 'logFile' | 'signal'>,
): Promise<number> {
  const shared = new Map<string, string>();
  for (const path of paths) {
    const st = await lstat(path);
    if (!st.isDirectory() && st.nlink > 1) shared.set(`${st.dev}:${st.ino}`, path);
  }
  if (shared.size === 0) return 0;
  const groups = await pathsOfInodes(root, new Set(shared.keys()));
  for (const [id, first] of shared) {
    const all = groups.get(id) ?? [first];
    const [head, ...rest] = all.sort();
    const temp = join(dirname(head!), `.distroforge-unshare-${process.pid}`);
    await rm(temp, { force: true });
    await runLogged('cp', ['-a', '--no-target-directory', head!, temp], run);
    await rename(temp, head!);
    for (const path of rest) {
      const linkTemp = join(dirname(path), `.distroforge-unshare-${process.pid}`);
      await rm(linkTemp, { force: true });
      await link(head!, linkTemp);
      await rename(linkTemp, path);
    }
  }
  return shared.size;
}

/**
 * Every path under `root` whose `dev:ino` is in `wanted` (one walk, directories not followed through
 * symlinks). Synchronous on purpose: the walk lstats every file of a root (tens of thousands), and an
 * awaited call each (a thread-pool round trip) made it 1.3 s of a one-file rebuild's overlay stage
 * under load, against ~0.15 s this way; nothing else in the build needs the event loop that long.
 */
async function pathsOfInodes(root: string, wanted: ReadonlySet<string>): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        pending.push(path);
        continue;
      }
      const st = lstatSync(path);
      if (st.nlink < 2) continue;
      const id = `${st.dev}:${st.ino}`;
      if (!wanted.has(id)) continue;
      const list = found.get(id) ?? [];
      list.push(path);
      found.set(id, list);
    }
  }
  return found;
}
