import { mkdtemp, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/** statfs's f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;
/** A kernel package's files take up to ~8x its .deb (Debian's: 70 MB of xz, 392 MB unpacked). */
const UNPACKED_PER_DEB_BYTE = 8;
const MiB = 1024 * 1024;

/**
 * Where the initramfs stage unpacks a kernel's packages for the few files it takes from them: a new
 * directory on /dev/shm when that is a tmpfs with room for the files twice over (they are written,
 * read once and deleted within seconds: on the disk they cost ~1.2 s of system time and hundreds of
 * MB of writeback while the rootfs stage writes beside them), else `fallback` in the stage's own
 * directory (a container's 64 MiB /dev/shm, no /dev/shm). The caller removes it.
 */
export async function kernelScratchDir(debs: readonly string[], fallback: string, shm = '/dev/shm'): Promise<string> {
  try {
    const fs = await statfs(shm);
    let debBytes = 0;
    for (const deb of debs) debBytes += (await stat(deb)).size;
    const needed = 2 * (debBytes * UNPACKED_PER_DEB_BYTE + 64 * MiB);
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= needed)
      return await mkdtemp(join(shm, 'distroforge-kernel-'));
  } catch {
    // No /dev/shm, or a package file not there yet (it is fetched later): the stage directory.
  }
  return fallback;
}
