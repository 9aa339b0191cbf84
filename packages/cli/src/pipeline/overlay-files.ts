import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DistroforgeError } from '@distroforge/core';

export interface OverlayFile {
  path: string;
  source: string;
  mode: number;
}

/** The regular files of an airootfs/ tree (byte-sorted), for roots that are archives rather than trees. */
export async function overlayFiles(root: string, rel = ''): Promise<OverlayFile[]> {
  const out: OverlayFile[] = [];
  const names = (await readdir(join(root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const path = `${rel}/${name}`;
    const st = await lstat(join(root, path));
    if (st.isDirectory()) out.push(...(await overlayFiles(root, path)));
    else if (st.isFile()) out.push({ path, source: join(root, path), mode: st.mode & 0o7777 });
    else {
      throw new DistroforgeError('ERR_OVERLAY_UNSUPPORTED', `${path}: only regular files and directories are supported in a busybox profile's overlay`, {
        path: join(root, path),
        hint: 'replace the link or special file with a regular file',
      });
    }
  }
  return out;
}
