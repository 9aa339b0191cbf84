import { lstatSync, readlinkSync } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RootPathError } from './errors.js';

/** Linux's MAXSYMLINKS: symlinks one lookup may follow before the kernel answers ELOOP. */
export const maxSymlinkHops = 40;
/** Linux's NAME_MAX and PATH_MAX less the terminating NUL, in bytes (not UTF-16 units). */
export const nameMaxBytes = 255;
export const pathMaxBytes = 4095;

export interface ResolveInRootOptions {
  /** Follow a symlink in the last component too (default false: the link itself, as lstat, unlink and rename see it). */
  followFinal?: boolean;
  /**
   * A `..` at the root: `refuse` (default) throws `ERR_PATH_ESCAPE`; `clamp` stays at the root as
   * the kernel does in a chroot (`/..` is `/`), for trees whose links must resolve as they will
   * when booted (a package's relative link with one `..` too many).
   */
  aboveRoot?: 'refuse' | 'clamp';
}

/**
 * Resolves `path` inside the directory `root` as the kernel would inside a chroot of it, and
 * returns the physical in-root path (`/lib/systemd` -> `/usr/lib/systemd` on merged-usr):
 * - every component that is a symlink is followed, the last one only with `followFinal`; links
 *   through links are followed in turn, at most 40 in all, else `ERR_PATH_LOOP` (ELOOP);
 * - an absolute link target restarts at the root, never at the host's `/`;
 * - `..` is physical: it leaves the directory a link led to, not the link's parent (`a/link/..`
 *   with `link -> /x/y` is `/x`); a `..` at the root is refused or clamped (`aboveRoot`), in
 *   `path` and in link targets alike. Either way the result is never outside the root;
 * - components that do not exist yet are kept as named (what `mkdir -p` would create);
 * - a name over 255 bytes or a host path over 4095 is a typed error rather than ENAMETOOLONG.
 * The root itself is trusted as given (its own path may hold symlinks). Other lstat failures
 * (EACCES) are thrown as they are.
 */
export async function resolveInRoot(root: string, path: string, options: ResolveInRootOptions = {}): Promise<string> {
  const walk = walkInRoot(root, path, options);
  let step = walk.next();
  while (!step.done) step = walk.next(await probe(step.value));
  return step.value;
}

/** `resolveInRoot` with synchronous file system calls, for callers that resolve thousands of archive members. */
export function resolveInRootSync(root: string, path: string, options: ResolveInRootOptions = {}): string {
  const walk = walkInRoot(root, path, options);
  let step = walk.next();
  while (!step.done) step = walk.next(probeSync(step.value));
  return step.value;
}

/** What lstat tells about one host path. */
type Probe = 'missing' | 'present' | { link: string };

async function probe(host: string): Promise<Probe> {
  const stats = await lstat(host).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (stats === undefined) return 'missing';
  return stats.isSymbolicLink() ? { link: await readlink(host) } : 'present';
}

function probeSync(host: string): Probe {
  let stats;
  try {
    stats = lstatSync(host, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
  }
  if (stats === undefined) return 'missing';
  return stats.isSymbolicLink() ? { link: readlinkSync(host) } : 'present';
}

/** Names of a path or link target, without the empty and `.` ones, last first (a stack). */
function componentsReversed(path: string): string[] {
  return path
    .split('/')
    .filter((name) => name !== '' && name !== '.')
    .reverse();
}

/** The resolution itself, asking its driver (sync or async) to lstat each host path it yields. */
function* walkInRoot(root: string, path: string, options: ResolveInRootOptions): Generator<string, string, Probe> {
  const refuseAbove = (options.aboveRoot ?? 'refuse') === 'refuse';
  const pending = componentsReversed(path);
  const resolved: string[] = [];
  let hops = 0;
  let via = path;
  // Index in `resolved` of the first component that does not exist: nothing under it can be a link.
  let missingAt = Infinity;
  const fail = (code: RootPathError['code'], message: string, details: { value: unknown; bytes?: number }) =>
    new RootPathError(code, message, { path, root, ...details });
  const checkHost = (host: string) => {
    const bytes = Buffer.byteLength(host);
    if (bytes > pathMaxBytes)
      throw fail(
        'ERR_PATH_TOO_LONG',
        `${path} needs a ${bytes}-byte path on the host (${host.slice(0, 60)}...); Linux allows ${pathMaxBytes}`,
        { value: host, bytes },
      );
  };
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (name === '..') {
      if (resolved.length === 0) {
        if (refuseAbove)
          throw fail('ERR_PATH_ESCAPE', `${path} leads above the root ${root} (via ${via})`, { value: via });
        continue;
      }
      resolved.pop();
      if (resolved.length <= missingAt) missingAt = Infinity;
      continue;
    }
    const bytes = Buffer.byteLength(name);
    if (bytes > nameMaxBytes) {
      throw fail(
        'ERR_PATH_NAME_TOO_LONG',
        `file name ${name.slice(0, 40)}... in ${path} is ${bytes} bytes; Linux allows ${nameMaxBytes}`,
        { value: name, bytes },
      );
    }
    resolved.push(name);
    if (resolved.length - 1 > missingAt) continue;
    const host = join(root, ...resolved);
    checkHost(host);
    const found = yield host;
    if (found === 'missing') {
      missingAt = resolved.length - 1;
      continue;
    }
    if (found === 'present' || (pending.length === 0 && !options.followFinal)) continue;
    via = `/${resolved.join('/')} -> ${found.link}`;
    if (++hops > maxSymlinkHops)
      throw fail(
        'ERR_PATH_LOOP',
        `too many levels of symbolic links resolving ${path} in ${root} (more than ${maxSymlinkHops}; the last: ${via})`,
        { value: via },
      );
    resolved.pop();
    if (found.link.startsWith('/')) resolved.length = 0;
    pending.push(...componentsReversed(found.link));
  }
  checkHost(join(root, ...resolved));
  return `/${resolved.join('/')}`;
}
