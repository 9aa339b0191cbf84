import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  openUserNamespace,
  prepareUserNamespace,
  readManifest,
  reclaimTree,
  type UserNamespace,
} from '@distroforge/core';
import { applyManifestToTree } from './apply-manifest-to-tree.js';
import { linkTree } from './link-tree.js';
import { processStartTime } from '../engine/process-start-time.js';

/** The tree QEMU shares over 9p, and how QEMU must start to show it with the image's owners. */
export interface ShareTree {
  path: string;
  /** The command prefix QEMU starts through (an ordinary user's: into the user namespace). */
  runThrough?: string[];
  /** Ends the namespace and removes the share tree; nothing owned by another id is left. */
  release(): Promise<void>;
}

const SHARE_PREFIX = '.9p-share-';

/**
 * The staging tree as the image sees it, for a 9p passthrough share. As root the staging tree
 * already carries the manifest's owners (the stages applied them). An ordinary user's tree belongs
 * to the user on disk, so a hard-link farm of it gets the manifest's owners inside a user namespace
 * that stays open for QEMU: the guest sees /home/live as the live user's, /etc/shadow as group
 * shadow's, as in the images. The farm lives beside the stage's outputs (hard links need the same
 * file system); one left by a killed run is reclaimed and removed here.
 */
export async function prepareShareTree(
  stagingRoot: string,
  run: { logFile: string; signal?: AbortSignal },
): Promise<ShareTree> {
  if (process.getuid?.() === 0) return { path: stagingRoot, release: async () => {} };
  const namespace = await prepareUserNamespace();
  const stageDir = dirname(stagingRoot);
  const base = dirname(stageDir);
  await removeLeftShares(namespace, base);
  const path = join(base, `${SHARE_PREFIX}${process.pid}`);
  await removeShare(namespace, path);
  let open: Awaited<ReturnType<typeof openUserNamespace>> | undefined;
  try {
    await linkTree(stagingRoot, path, run);
    await applyManifestToTree(path, await readManifest(join(stageDir, 'manifest.json')), run, namespace);
    open = await openUserNamespace(namespace);
  } catch (error) {
    await removeShare(namespace, path).catch(() => undefined);
    throw error;
  }
  const opened = open;
  return {
    path,
    runThrough: [...opened.enterCommand],
    release: async () => {
      await opened.close();
      await removeShare(namespace, path);
    },
  };
}

async function removeShare(namespace: UserNamespace, path: string): Promise<void> {
  await reclaimTree(namespace, path).catch(() => undefined);
  await rm(path, { recursive: true, force: true });
}

/** Share trees of runs whose process is gone (killed before they could remove theirs). */
async function removeLeftShares(namespace: UserNamespace, base: string): Promise<void> {
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (!name.startsWith(SHARE_PREFIX)) continue;
    const pid = Number(name.slice(SHARE_PREFIX.length));
    if (pid === process.pid || processStartTime(pid) !== undefined) continue;
    await removeShare(namespace, join(base, name));
  }
}
