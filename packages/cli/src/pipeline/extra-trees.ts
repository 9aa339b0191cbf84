import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { mergeManifest, runLogged, type Manifest, type RunLoggedOptions } from '@distroforge/core';
import { applyOverlay } from '@distroforge/overlay-apply';
import { hashFile, hashTree } from '../engine/hash-tree.js';
import type { ExtraTree } from '../profile/customization-schema.js';

/** What decides the trees' part of the image: targets, owners and the sources' contents and modes. */
export async function extraTreesKey(
  profileDir: string,
  trees: readonly ExtraTree[],
): Promise<{ to: string; owner: string; digest: string }[]> {
  const keyed = [];
  for (const tree of trees) {
    const from = join(profileDir, tree.from);
    const digest = (await lstat(from)).isDirectory()
      ? `tree ${await hashTree(from)}`
      : `tarball ${await hashFile(from)}`;
    keyed.push({ to: tree.to, owner: tree.owner, digest });
  }
  return keyed;
}

/**
 * Copies each tree (a folder, or a tarball unpacked) to its target in `root`, in profile order,
 * through overlay-apply as airootfs/ is copied: the same rules for symlinks in the root, names and
 * special files, modes kept, mtimes the epoch. What is copied is recorded with the tree's `owner`
 * (root:root by default, as airootfs/). `work` is a folder for staging, emptied afterwards.
 */
export async function applyExtraTrees(
  root: string,
  manifest: Manifest,
  trees: readonly ExtraTree[],
  options: {
    profileDir: string;
    work: string;
    sourceDateEpoch: number;
    run: Pick<RunLoggedOptions, 'logFile' | 'signal'>;
  },
): Promise<{ manifest: Manifest; changes: number }> {
  let current = manifest;
  let changes = 0;
  for (const [index, tree] of trees.entries()) {
    const staging = join(options.work, `extra-tree-${index}`);
    const target = join(staging, tree.to);
    await rm(staging, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    // The directories above the target are new in the staging tree: give them the usual mode, not the umask's.
    for (let dir = posix.dirname(tree.to); dir !== '/'; dir = posix.dirname(dir))
      await chmod(join(staging, dir), 0o755);
    const from = join(options.profileDir, tree.from);
    if ((await lstat(from)).isDirectory()) {
      await runLogged(
        'cp',
        ['-a', '--reflink=auto', '--no-preserve=ownership', '--no-target-directory', `${from}/.`, target],
        options.run,
      );
    } else {
      await runLogged(
        'tar',
        ['-x', '-f', from, '-C', target, '--no-same-owner', '--preserve-permissions'],
        options.run,
      );
    }
    try {
      const applied = await applyOverlay({
        root,
        overlay: staging,
        manifest: current,
        sourceDateEpoch: options.sourceDateEpoch,
      });
      changes += applied.changes.length;
      const [uid, gid] = tree.owner.split(':').map(Number) as [number, number];
      const owned = [tree.to, ...(await listUnder(target)).map((p) => posix.join(tree.to, p))];
      current = mergeManifest(
        applied.manifest,
        owned.map((path) => ({ path, uid, gid })),
      );
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  await rm(options.work, { recursive: true, force: true });
  return { manifest: current, changes };
}

/** Paths under `dir`, relative, not through symlinked directories. */
async function listUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    out.push(path);
    if (entry.isDirectory()) out.push(...(await listUnder(dir, path)));
  }
  return out;
}
