import { posix } from 'node:path';
import { resolveInRootSync, RootPathError } from '@distroforge/core';
import { UnpackWriteError, UnsafePathError } from './errors.js';

/**
 * Resolves archive paths inside a root directory with chroot semantics (core's `resolveInRoot`):
 * parent components that are symlinks are followed (absolute targets relative to the root, `..`
 * clamped at it as the kernel does, since a package's links must resolve as they will when
 * booted), so a merged-/usr `bin -> usr/bin` works and nothing can escape. The last component is
 * not followed. Resolved directories are cached until `invalidate()`.
 */
export class RootResolver {
  private readonly dirs = new Map<string, string>();

  /**
   * `beforeLookup` runs before a resolution the cache cannot answer reads the file system (the
   * pacman unpacker finishes its pending writes there, so the lookup sees what they make).
   */
  constructor(
    readonly root: string,
    private readonly beforeLookup?: () => void,
  ) {}

  /** Canonical in-archive path (`/usr/bin/x`) of a member name, or an UnsafePathError. */
  static memberPath(name: string): string {
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw new UnsafePathError(name);
    return `/${parts.join('/')}`;
  }

  /** Host path for an in-root path whose parents are resolved through symlinks. */
  resolve(inRoot: string): string {
    const parent = posix.dirname(inRoot);
    const base = posix.basename(inRoot);
    const dir = this.resolveDir(parent);
    return base === '' ? dir : posix.join(dir, base);
  }

  /** Host path for an in-root path with every component resolved, the last one too (what a directory symlink leads to). */
  resolveDirectory(inRoot: string): string {
    return this.resolveDir(inRoot);
  }

  /** Records that in-root `inRoot` is the real directory at host path `host` (the caller just made or found it). */
  remember(inRoot: string, host: string): void {
    this.dirs.set(inRoot, host);
  }

  /** Forgets cached directory resolutions (call when a directory or symlink is removed, or a symlink created). */
  invalidate(): void {
    this.dirs.clear();
  }

  /**
   * Forgets the resolutions a new symlink at host path `created` (where nothing was) can change:
   * those that led to it or below it. Any other cached resolution went through existing
   * directories only, which the new link leaves as they were.
   */
  invalidateUnder(created: string): void {
    for (const [key, real] of this.dirs) {
      if (real === created || real.startsWith(`${created}/`)) this.dirs.delete(key);
    }
  }

  private resolveDir(inRoot: string): string {
    const cached = this.dirs.get(inRoot);
    if (cached !== undefined) return cached;
    this.beforeLookup?.();
    let real: string;
    try {
      real = posix.join(
        this.root,
        resolveInRootSync(this.root, inRoot, { followFinal: true, aboveRoot: 'clamp' }).slice(1),
      );
    } catch (error) {
      if (!(error instanceof RootPathError)) throw error;
      // A loop is the package's doing; a name or path too long for this root is a write that cannot happen.
      if (error.code === 'ERR_PATH_LOOP')
        throw new UnsafePathError(inRoot, { hint: 'too many levels of symbolic links', cause: error });
      throw new UnpackWriteError(inRoot, posix.join(this.root, inRoot), error);
    }
    this.dirs.set(inRoot, real);
    return real;
  }
}
