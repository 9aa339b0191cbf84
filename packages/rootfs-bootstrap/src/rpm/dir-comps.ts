import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { mergeComps, parseComps, type CompsData } from './comps-groups.js';
import { readDecompressed } from '../read-decompressed.js';

/** `comps.xml`, `comps-BaseOS.x86_64.xml`, `<sha256>-comps-AppStream.x86_64.xml[.gz|.xz|.zst]`. */
const COMPS_FILE = /(^|[-.])comps([-.][^/]*)?\.xml(\.(gz|xz|zst))?$/;

/**
 * The comps groups of a folder of packages: every comps file in the folder tree (a copied ISO
 * holds `BaseOS/repodata/…-comps-BaseOS.x86_64.xml`), else in `../repodata` (a repository's
 * `Packages` folder given directly). Uncompressed files are preferred to compressed copies of the
 * same data. Returns the merged groups and the files read.
 */
export async function readDirectoryComps(dir: string): Promise<{ comps: CompsData; files: string[] }> {
  const root = resolve(dir);
  let files = await compsFiles(root, true);
  if (files.length === 0) files = await compsFiles(join(dirname(root), 'repodata'), false);
  const parts = await Promise.all(
    files.map(async (file) =>
      parseComps((await readDecompressed([await readFile(file)], file, file)).toString('utf8'), file),
    ),
  );
  return { comps: mergeComps(parts), files };
}

async function compsFiles(dir: string, recursive: boolean): Promise<string[]> {
  const names = (await readdir(dir, { recursive }).catch(() => [] as string[]))
    .filter((f) => COMPS_FILE.test(basename(f)))
    .sort();
  const plain = names.filter((f) => f.endsWith('.xml'));
  // Per folder: the plain files, else the compressed ones (createrepo_c writes both).
  const byFolder = new Map<string, string[]>();
  for (const f of names) byFolder.set(dirname(f), [...(byFolder.get(dirname(f)) ?? []), f]);
  const chosen = [...byFolder.values()].flatMap((list) =>
    list.some((f) => plain.includes(f)) ? list.filter((f) => f.endsWith('.xml')) : list,
  );
  return chosen.map((f) => join(dir, f));
}
