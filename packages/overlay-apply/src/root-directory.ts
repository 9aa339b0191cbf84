import { stat } from 'node:fs/promises';
import { OverlayApplyError } from './errors.js';

export async function assertRootDirectory(root: string): Promise<void> {
  const stats = await stat(root).catch(() => undefined);
  if (!stats?.isDirectory()) {
    throw new OverlayApplyError('ERR_OVERLAY_ROOT_MISSING', `root directory ${root} does not exist`, {
      path: root,
      hint: 'bootstrap the root first (e.g. with @distroforge/rootfs-bootstrap)',
    });
  }
}
