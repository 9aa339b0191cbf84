import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { UnsafePathError } from './errors.js';

/**
 * Resolves archive paths inside a root directory with chroot semantics: parent components that
 * are symlinks are followed (absolute targets relative to the root, `..` never above it), so a
 * merged-/usr `bin -> usr/bin` works and nothing can escape. The last component is not followed.
 */
export class RootResolver {
  private readonly dirs = new Map<string, string>();

  constructor(readonly root: string) {}

  /** Canonical in-archive path (`/usr/bin/x`) of a member name, or an UnsafePathError. */
  static memberPath(name: string): string {
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw new UnsafePathError(name);
    return `/${parts.join('/')}`;
  }

  /** Host path for an in-root path whose parents are resolved through symlinks. */
  async resolve(inRoot: string): Promise<string> {
    const parent = posix.dirname(inRoot);
    const base = posix.basename(inRoot);
    const dir = await this.resolveDir(parent);
    return base === '' ? dir : posix.join(dir, base);
  }

  /** Forgets cached directory resolutions (call when a directory is replaced by a symlink). */
  invalidate(): void {
    this.dirs.clear();
  }

  private async resolveDir(inRoot: string): Promise<string> {
    const cached = this.dirs.get(inRoot);
    if (cached !== undefined) return cached;
    const real = await this.follow(inRoot.split('/').filter(Boolean), 0);
    this.dirs.set(inRoot, real);
    return real;
  }

  private async follow(components: string[], depth: number): Promise<string> {
    if (depth > 40) throw new UnsafePathError(components.join('/'), { hint: 'too many levels of symbolic links' });
    const resolved: string[] = [];
    for (let i = 0; i < components.length; i++) {
      const component = components[i]!;
      if (component === '..') {
        resolved.pop();
        continue;
      }
      if (component === '.') continue;
      const host = posix.join(this.root, ...resolved, component);
      const stats = await lstat(host).catch(() => undefined);
      if (stats?.isSymbolicLink()) {
        const target = await readlink(host);
        const rest = components.slice(i + 1);
        const next = target.startsWith('/') ? target.split('/') : [...resolved, ...target.split('/')];
        return this.follow([...next.filter(Boolean), ...rest], depth + 1);
      }
      resolved.push(component);
    }
    return posix.join(this.root, ...resolved);
  }
}
