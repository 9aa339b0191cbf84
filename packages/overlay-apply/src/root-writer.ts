import {
  chmod,
  link,
  lstat,
  mkdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  lutimes,
  writeFile,
} from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import type { Stats } from 'node:fs';
import { canonicalManifestPath, resolveInRoot, RootPathError, type ManifestEntry } from '@distroforge/core';
import { NameTooLongError, OverlayApplyError, PathEscapeError, PathTooLongError } from './errors.js';
import { assertHostPathFits, assertNameFits } from './path-limits.js';

/** Numbers the temporary names of this process, so two writers never share one. */
let temporaries = 0;

/** What happened to one path of the root. `ownership` = only the manifest entry changed. */
export type ChangeAction = 'created' | 'updated' | 'replaced' | 'removed' | 'ownership';

export interface Change {
  /** Physical path inside the root (`/usr/lib/...` even when written as `/lib/...`). */
  path: string;
  action: ChangeAction;
}

export interface Ownership {
  uid?: number;
  gid?: number;
  mode?: number;
}

/**
 * The only way this package touches a root: every write resolves its parent inside the root,
 * replaces (never writes through) a symlink in the final component, skips writes that would not
 * change a byte, and records ownership in manifest entries instead of calling chown.
 */
export class RootWriter {
  readonly changes: Change[] = [];
  readonly entries: ManifestEntry[] = [];

  constructor(
    readonly root: string,
    /** mtime for what we write, so a re-run that changes nothing leaves identical metadata. */
    readonly epoch: number | undefined,
  ) {}

  host(path: string): string {
    return join(this.root, path);
  }

  /** Physical in-root path of `path`, following symlinks (also in the final component). */
  resolve(path: string): Promise<string> {
    return this.physical(path, true);
  }

  /** Physical in-root path where `path` itself lives: parent resolved, final symlink kept. */
  locate(path: string): Promise<string> {
    return this.physical(path, false);
  }

  /**
   * Core's `resolveInRoot` (the kernel's rule inside a chroot: absolute links restart at the root)
   * with a `..` above the root refused rather than clamped, so a hostile tree cannot steer our
   * writes, and its errors as this package's codes. `path` is first made canonical (`/a/../b` ->
   * `/b`), as the manifest spells it.
   */
  private async physical(path: string, followFinal: boolean): Promise<string> {
    try {
      return await resolveInRoot(this.root, canonicalManifestPath(path), { followFinal, aboveRoot: 'refuse' });
    } catch (error) {
      if (!(error instanceof RootPathError)) throw error;
      const detail = String(error.value);
      switch (error.code) {
        case 'ERR_PATH_ESCAPE':
          throw new PathEscapeError(path, detail);
        case 'ERR_PATH_LOOP':
          throw new OverlayApplyError('ERR_OVERLAY_PATH_ESCAPE', `too many symlinks resolving ${path}`, {
            path,
            value: detail,
            hint: 'the root has a symlink loop',
            cause: error,
          });
        case 'ERR_PATH_NAME_TOO_LONG':
          throw new NameTooLongError(path, detail, error.bytes ?? Buffer.byteLength(detail));
        case 'ERR_PATH_TOO_LONG':
          throw new PathTooLongError(path, detail, error.bytes ?? Buffer.byteLength(detail));
      }
    }
  }

  async lstatIn(physical: string): Promise<Stats | undefined> {
    return lstat(this.host(physical)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
  }

  /** Reads a file of the root (following in-root symlinks), undefined when absent. */
  async read(path: string): Promise<Buffer | undefined> {
    const physical = await this.resolve(path);
    const stats = await this.lstatIn(physical);
    if (!stats?.isFile()) return undefined;
    return readFile(this.host(physical));
  }

  async readText(path: string): Promise<string | undefined> {
    return (await this.read(path))?.toString('utf8');
  }

  async exists(path: string): Promise<boolean> {
    return (await this.lstatIn(await this.resolve(path))) !== undefined;
  }

  record(path: string, action: ChangeAction): void {
    this.changes.push({ path, action });
  }

  own(path: string, entry: Omit<ManifestEntry, 'path'>): void {
    this.entries.push({ ...entry, path });
  }

  /** `mkdir -p` inside the root; new directories get `ownership` (default root:root 0755). Returns the physical path. */
  async mkdirp(path: string, ownership: Ownership = {}): Promise<string> {
    const physical = await this.resolve(path);
    const parts = physical.split('/').filter(Boolean);
    let current = '';
    for (const part of parts) {
      current = `${current}/${part}`;
      const stats = await this.lstatIn(current);
      if (stats?.isDirectory()) continue;
      if (stats !== undefined) {
        throw new OverlayApplyError(
          'ERR_OVERLAY_NOT_A_DIRECTORY',
          `${current} exists in the root and is not a directory`,
          {
            path: current,
            hint: 'remove it from the root or from the overlay',
          },
        );
      }
      const mode = current === physical ? (ownership.mode ?? 0o755) : 0o755;
      await mkdir(this.host(current));
      await chmod(this.host(current), mode);
      await this.stamp(current);
      this.record(current, 'created');
      this.own(current, {
        type: 'dir',
        uid: current === physical ? (ownership.uid ?? 0) : 0,
        gid: current === physical ? (ownership.gid ?? 0) : 0,
        mode,
      });
    }
    return physical;
  }

  /** Writes a regular file unless it already holds these bytes and mode; replaces symlinks. */
  async writeFile(path: string, data: string | Buffer, ownership: Ownership = {}): Promise<string> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const mode = ownership.mode ?? 0o644;
    const physical = await this.placeOf(path);
    const before = await this.lstatIn(physical);
    if (before?.isDirectory()) {
      throw new OverlayApplyError(
        'ERR_OVERLAY_NOT_A_DIRECTORY',
        `${physical} is a directory in the root, cannot write a file there`,
        { path: physical },
      );
    }
    const same =
      before?.isFile() &&
      (before.mode & 0o7777) === mode &&
      before.size === bytes.length &&
      (await readFile(this.host(physical))).equals(bytes);
    if (!same) {
      await this.replaceWith(physical, async (temp) => {
        await writeFile(temp, bytes, { mode });
        await chmod(temp, mode);
        await this.stamp(physical, temp);
      });
      this.record(physical, before === undefined ? 'created' : before.isFile() ? 'updated' : 'replaced');
    }
    this.own(physical, { type: 'file', uid: ownership.uid ?? 0, gid: ownership.gid ?? 0, mode });
    return physical;
  }

  /** Creates (or replaces) a symlink; nothing happens if it already points at `target`. */
  async symlink(path: string, target: string, ownership: Ownership = {}): Promise<string> {
    const physical = await this.placeOf(path);
    const before = await this.lstatIn(physical);
    if (before?.isDirectory()) {
      throw new OverlayApplyError(
        'ERR_OVERLAY_NOT_A_DIRECTORY',
        `${physical} is a directory in the root, cannot put a symlink there`,
        { path: physical },
      );
    }
    if (!(before?.isSymbolicLink() && (await readlink(this.host(physical))) === target)) {
      await this.replaceWith(physical, async (temp) => {
        await symlink(target, temp);
        if (this.epoch !== undefined) await lutimes(temp, this.epoch, this.epoch);
      });
      this.record(physical, before === undefined ? 'created' : 'replaced');
    }
    this.own(physical, { type: 'symlink', uid: ownership.uid ?? 0, gid: ownership.gid ?? 0 });
    return physical;
  }

  /** Hard-links `path` to the already written `existing` (both physical paths). */
  async hardlink(existing: string, path: string, ownership: Ownership = {}): Promise<string> {
    const physical = await this.placeOf(path);
    const [before, source] = await Promise.all([this.lstatIn(physical), stat(this.host(existing))]);
    if (!(before?.ino === source.ino && before.dev === source.dev)) {
      await this.replaceWith(physical, (temp) => link(this.host(existing), temp));
      this.record(physical, before === undefined ? 'created' : 'replaced');
    }
    this.own(physical, { type: 'file', uid: ownership.uid ?? 0, gid: ownership.gid ?? 0, mode: source.mode & 0o7777 });
    return physical;
  }

  /** Removes a file or symlink (not a directory) if present. */
  async remove(physical: string): Promise<void> {
    const before = await this.lstatIn(physical);
    if (before === undefined) return;
    await rm(this.host(physical));
    this.record(physical, 'removed');
  }

  private async placeOf(path: string): Promise<string> {
    assertNameFits(basename(path), path);
    const physical = posix.join(await this.mkdirp(posix.dirname(path)), basename(path));
    assertHostPathFits(this.host(physical), path);
    return physical;
  }

  /**
   * Builds the new node beside the old one and renames it over: a symlink is replaced, never
   * followed. The temporary name does not embed the final one, which may already use all 255 bytes.
   */
  private async replaceWith(physical: string, produce: (temp: string) => Promise<void>): Promise<void> {
    const temp = this.host(`${posix.dirname(physical)}/.distroforge-${process.pid}-${++temporaries}`);
    assertHostPathFits(temp, physical);
    await rm(temp, { force: true });
    try {
      await produce(temp);
      await rename(temp, this.host(physical));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private async stamp(physical: string, hostPath = this.host(physical)): Promise<void> {
    if (this.epoch !== undefined) await utimes(hostPath, this.epoch, this.epoch);
  }
}
