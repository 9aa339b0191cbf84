import { lstatSync, readlinkSync } from 'node:fs';
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

  /** Forgets cached directory resolutions (call when a directory or symlink is removed, or a symlink created). */
  invalidate(): void {
    this.dirs.clear();
  }

  private resolveDir(inRoot: string): string {
    const cached = this.dirs.get(inRoot);
    if (cached !== undefined) return cached;
    const real = this.follow(inRoot.split('/').filter(Boolean), 0);
    this.dirs.set(inRoot, real);
    return real;
  }

  private follow(components: string[], depth: number): string {
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
      const stats = lstatSync(host, { throwIfNoEntry: false });
      if (stats?.isSymbolicLink()) {
        const target = readlinkSync(host);
        const rest = components.slice(i + 1);
        const next = target.startsWith('/') ? target.split('/') : [...resolved, ...target.split('/')];
        return this.follow([...next.filter(Boolean), ...rest], depth + 1);
      }
      resolved.push(component);
    }
    return posix.join(this.root, ...resolved);
  }
}
