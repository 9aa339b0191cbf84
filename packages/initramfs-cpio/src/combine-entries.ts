import { compareBytewise } from '@distroforge/core';
import { posix } from 'node:path';
import { archivePath, type CpioEntry } from './cpio-entry.js';

/**
 * Merges several entry sources into one sorted list: a later source wins for the same path,
 * missing parent directories are added (0755, root), and inode numbers are left to the writer.
 * Holds metadata only (file contents stay on disk), so it is fine for whole root trees.
 */
export async function combineEntries(
  ...sources: Array<AsyncIterable<CpioEntry> | Iterable<CpioEntry>>
): Promise<CpioEntry[]> {
  const byPath = new Map<string, CpioEntry>();
  for (const source of sources) {
    for await (const entry of source) {
      const { ino: _ino, ...rest } = entry;
      const names = [entry.path, ...(entry.links ?? [])].map(archivePath);
      for (const name of names) byPath.delete(name);
      byPath.set(names[0] as string, {
        ...rest,
        path: names[0] as string,
        ...(entry.links ? { links: names.slice(1) } : {}),
      });
    }
  }
  const linked = new Set([...byPath.values()].flatMap((e) => e.links ?? []));
  for (const path of [...byPath.keys(), ...linked]) {
    for (let dir = posix.dirname(path); dir !== '.' && !byPath.has(dir); dir = posix.dirname(dir)) {
      byPath.set(dir, { path: dir, type: 'dir', mode: 0o755, uid: 0, gid: 0 });
    }
  }
  if (!byPath.has('.')) byPath.set('.', { path: '.', type: 'dir', mode: 0o755, uid: 0, gid: 0 });
  return [...byPath.values()].sort((a, b) => compareBytewise(a.path, b.path));
}
