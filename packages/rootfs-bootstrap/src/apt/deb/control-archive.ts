import { compressionOfFileName } from '@distroforge/core';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { ReadEntry } from 'tar';
import { DEB_TAR_LIMITS, debMember, parseDebTar, readDebTarball, type StopTarball } from './tarball.js';
import { xzDecompressSmall } from './xz-memory.js';
import { DebFormatError } from '../../errors.js';

/** One file of a `.deb`'s control tarball (`control`, `md5sums`, `conffiles`, `postinst`, …). */
export interface DebControlMember {
  name: string;
  data: Buffer;
  mode: number;
  mtime?: Date;
}

/** A `.deb`'s control tarball: the `control` text and every member, in archive order. */
export interface DebControlArchive {
  control: string;
  members: DebControlMember[];
}

/** Reads the control tarball of a `.deb` into memory (it holds a few small files). */
export async function readDebControlArchive(file: string): Promise<DebControlArchive> {
  const members: DebControlMember[] = [];
  let declared = 0;
  const onEntry = (entry: ReadEntry, stop: StopTarball): void => {
    const name = entry.path.replace(/^(?:\.\/)+/, '');
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
      entry.resume();
      return;
    }
    // Members are held in memory: their declared sizes are bounded before anything is collected.
    declared += entry.size ?? 0;
    if (declared > DEB_TAR_LIMITS.controlBytes) {
      stop(
        new DebFormatError(`${file}: the control tarball declares more than ${DEB_TAR_LIMITS.controlBytes} bytes`, {
          path: file,
          value: declared,
        }),
      );
      return;
    }
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => {
      members.push({
        name,
        data: Buffer.concat(chunks),
        mode: (entry.mode ?? 0o644) & 0o7777,
        ...(entry.mtime ? { mtime: entry.mtime } : {}),
      });
    });
  };
  const tarball = await controlTarball(file);
  await (tarball
    ? parseDebTar(file, 'control.tar', Readable.from([tarball]), onEntry)
    : readDebTarball(file, 'control.tar', onEntry));
  const control = members.find((m) => m.name === 'control');
  if (!control) throw new DebFormatError(`${file}: the control tarball has no control file`, { path: file });
  if (members.some((m) => m.name.includes('/'))) {
    throw new DebFormatError(`${file}: the control tarball has a member in a subdirectory`, {
      path: file,
      value: members.map((m) => m.name),
    });
  }
  return { control: control.data.toString('utf8'), members };
}

/** The decompressed control tarball when it is xz, gzip or plain (in memory); zstd and the rest stream through their tools. */
async function controlTarball(file: string): Promise<Buffer | undefined> {
  const member = await debMember(file, 'control.tar');
  const compression = compressionOfFileName(member.name);
  if (compression !== 'xz' && compression !== 'gzip' && compression !== 'none') return undefined;
  const raw = Buffer.alloc(member.size);
  const handle = await open(file, 'r');
  try {
    await handle.read(raw, 0, member.size, member.offset);
  } finally {
    await handle.close();
  }
  try {
    if (compression === 'xz') return await xzDecompressSmall(raw, DEB_TAR_LIMITS.controlBytes);
    if (compression === 'gzip') return gunzipSync(raw, { maxOutputLength: DEB_TAR_LIMITS.controlBytes });
    return raw;
  } catch (error) {
    throw new DebFormatError(`${file}: ${member.name} is corrupt (${(error as Error).message})`, {
      path: file,
      cause: error,
    });
  }
}

/**
 * The conffiles a package ships (absolute paths). Entries with flags (`remove-on-upgrade /etc/x`,
 * dpkg >= 1.20) name files the package does not ship; they only matter on upgrades and are left out.
 */
export function declaredConffiles(archive: DebControlArchive): string[] {
  const text = archive.members.find((m) => m.name === 'conffiles')?.data.toString('utf8') ?? '';
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('/'));
}
