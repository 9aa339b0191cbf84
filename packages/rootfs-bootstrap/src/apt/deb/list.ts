import type { ReadEntry } from 'tar';
import { parseControlFile, type ControlParagraph } from '../control-file.js';
import { readDebControlArchive } from './control-archive.js';
import { debMemberType, type DebMemberType } from './member-type.js';
import { DebFormatError } from '../../errors.js';
import { RootResolver } from '../../resolve-in-root.js';
import { readDebTarball } from './tarball.js';

/** One member of a `.deb`'s data tarball, as `dpkg-deb --contents` lists it. */
export interface DebFileEntry {
  /** In-root path (`/usr/bin/x`; `/` for the root). */
  path: string;
  type: DebMemberType;
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Owner and group names where the tarball's headers are POSIX ustar/pax (node-tar does not decode them from dpkg-deb's GNU headers). */
  user: string | undefined;
  group: string | undefined;
  size: number;
  /** Seconds since the epoch. */
  mtime: number | undefined;
  /** Symlink target, or the in-root path a hard link names. */
  linkTarget: string | undefined;
  /** Device numbers of char and block members. */
  major: number | undefined;
  minor: number | undefined;
}

/** A `.deb`'s control paragraph and the members of its data tarball, in archive order. */
export interface DebListing {
  control: ControlParagraph;
  files: DebFileEntry[];
}

/** Reads a `.deb`'s control file and lists its data tarball without writing anything (for inspection). */
export async function listDeb(file: string): Promise<DebListing> {
  const [control] = parseControlFile((await readDebControlArchive(file)).control, `${file}: control`);
  if (!control) throw new DebFormatError(`${file}: the control file is empty`, { path: file });
  const files: DebFileEntry[] = [];
  const onEntry = (entry: ReadEntry): void => {
    const type = debMemberType(entry.type);
    if (type) {
      const device = type === 'char' || type === 'block';
      files.push({
        path: RootResolver.memberPath(entry.path),
        type,
        mode: (entry.mode ?? 0) & 0o7777,
        uid: entry.uid ?? 0,
        gid: entry.gid ?? 0,
        user: entry.uname || undefined,
        group: entry.gname || undefined,
        size: type === 'file' ? (entry.size ?? 0) : 0,
        mtime: entry.mtime ? Math.floor(entry.mtime.getTime() / 1000) : undefined,
        linkTarget:
          type === 'symlink'
            ? entry.linkpath
            : type === 'hardlink' && entry.linkpath
              ? RootResolver.memberPath(entry.linkpath)
              : undefined,
        major: device ? entry.header.devmaj : undefined,
        minor: device ? entry.header.devmin : undefined,
      });
    }
    entry.resume();
  };
  await readDebTarball(file, 'data.tar', onEntry);
  return { control, files };
}
