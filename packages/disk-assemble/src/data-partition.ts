import { chmod, mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { buildExt4Image, type Ext4Image } from './ext4-image.js';

export const DEFAULT_DATA_SIZE = 256 * 1024 * 1024;

export interface DataPartitionOptions {
  work: string;
  size: number;
  label: string;
  /** The /etc/fstab of the system, placed in the upper layer so it takes the image's place. */
  fstab: string | undefined;
  uuid: string;
  hashSeed: string;
  sourceDateEpoch: number;
  logFile: string;
  signal: AbortSignal | undefined;
}

/**
 * The writable ext4 partition behind a read-only image root: `upper/` and `work/` for overlayfs
 * (the live init creates them too, so an empty partition also works), and the generated fstab as
 * `upper/etc/fstab`. Everything is owned by root with mode 0755/0644.
 */
export async function buildDataPartition(options: DataPartitionOptions): Promise<Ext4Image> {
  const tree = await mkdtemp(join(options.work, 'data-'));
  for (const dir of ['upper', 'upper/etc', 'work']) {
    await mkdir(join(tree, dir));
    await chmod(join(tree, dir), 0o755);
  }
  await chmod(tree, 0o755);
  return buildExt4Image({
    directory: tree,
    files: options.fstab === undefined ? [] : [{ path: '/upper/etc/fstab', content: options.fstab }],
    owner: 'root',
    output: join(options.work, 'data.ext4'),
    size: options.size,
    uuid: options.uuid,
    hashSeed: options.hashSeed,
    label: options.label,
    sourceDateEpoch: options.sourceDateEpoch,
    logFile: options.logFile,
    signal: options.signal,
  });
}
