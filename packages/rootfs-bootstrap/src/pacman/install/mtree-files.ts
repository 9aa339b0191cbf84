import { gunzipSync } from 'node:zlib';

/** A package's .MTREE is a few hundred KiB of text at most; a larger one is not a listing to trust. */
const MTREE_LIMIT = 64 << 20;

/**
 * The paths a package's `.MTREE` lists (gzip-compressed mtree, as makepkg writes it with bsdtar):
 * relative, without `./`, octal escapes (`\040`) decoded, directories ending in `/`, dot-files
 * left out. Undefined when there is no .MTREE or it cannot be read (the caller then assumes the
 * worst). Only a hint for planning: the files themselves are listed from the archive when unpacked.
 */
export function mtreeFiles(mtree: Buffer | undefined): string[] | undefined {
  if (!mtree) return undefined;
  let text: string;
  try {
    text = gunzipSync(mtree, { maxOutputLength: MTREE_LIMIT }).toString('utf8');
  } catch {
    return undefined;
  }
  const files: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('./')) continue; // comments, /set and /unset lines, `..`
    const [raw = '', ...keywords] = line.split(' ');
    const latin1 = raw
      .slice(2)
      .replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
    const path = Buffer.from(latin1, 'latin1').toString('utf8');
    if (path === '' || path.startsWith('.')) continue;
    files.push(keywords.includes('type=dir') ? `${path}/` : path);
  }
  return files;
}
