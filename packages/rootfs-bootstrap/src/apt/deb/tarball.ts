import { compressionOfFileName, decompress, DecompressError, isDistroforgeError } from '@distroforge/core';
import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { readArMembers, type ArMember } from './ar-archive.js';
import { BootstrapError, DebFormatError } from '../../errors.js';

/** Bounds on what a `.deb`'s tarballs may declare, so a hostile header is an error, not an allocation. */
export const DEB_TAR_LIMITS = {
  /** A member path or link target (Linux PATH_MAX less its NUL). */
  pathBytes: 4095,
  /** A pax or GNU long-name header: held in memory while parsed (node-tar would skip a larger one silently). */
  metaBytes: 64 * 1024,
  /** All members of a control tarball together: it is read into memory. */
  controlBytes: 64 * 1024 * 1024,
} as const;

/**
 * A member at least this large (compressed) is decoded by as many xz threads as there are cores.
 * dpkg-deb cuts its xz streams into blocks of 24 MiB output, and only a stream of several blocks
 * decodes in parallel: the kernel package (70 MB, 17 blocks) takes 2.0 s with two threads instead of
 * 3.7 s with one, and it is the last package to finish its stage. Small members stay on one
 * thread: several of them decode side by side anyway.
 */
export const THREADED_XZ_BYTES = 8 * 1024 * 1024;

/** Finds the `control.tar.*` or `data.tar.*` member of a `.deb`. */
export async function debMember(file: string, stem: 'control.tar' | 'data.tar'): Promise<ArMember> {
  const members = await readArMembers(file);
  if (members[0]?.name !== 'debian-binary')
    throw new DebFormatError(`${file} is not a Debian package (no debian-binary)`, { path: file });
  const member = members.find((m) => m.name === stem || m.name.startsWith(`${stem}.`));
  if (!member) throw new DebFormatError(`${file} has no ${stem} member`, { path: file });
  return member;
}

/** Stops the tarball being read; the error is what the reader throws. */
export type StopTarball = (error: unknown) => void;

/** Called for each member; may throw (the reading stops with that error) or call `stop` later. */
export type DebEntryHandler = (entry: ReadEntry, stop: StopTarball) => void;

/**
 * Reads one tarball member of a `.deb` (`control.tar.*` or `data.tar.*`), decompressed, entry by
 * entry. Malformed input of every kind (ar, compression, tar headers, the limits above) is a
 * `DebFormatError` naming the file; errors of `onEntry` pass unchanged.
 */
export async function readDebTarball(
  file: string,
  stem: 'control.tar' | 'data.tar',
  onEntry: DebEntryHandler,
  /** The member decompressed already, as a plain tarball (`decodeDataAhead`): read instead of decoding it again. */
  decoded?: string,
): Promise<void> {
  const member = await debMember(file, stem);
  if (member.size === 0)
    throw new DebFormatError(`${file}: ${member.name} is empty`, { path: file, value: member.name });
  const stream = decoded
    ? createReadStream(decoded, { highWaterMark: 1 << 20 })
    : // A byte stream, not one of objects: its buffer is bounded in bytes (16 of gzip's 1 MiB chunks otherwise).
      Readable.from(decompressedMember(file, member), { objectMode: false });
  try {
    await parseDebTar(file, member.name, stream, onEntry);
  } catch (error) {
    if (error instanceof DecompressError)
      throw new DebFormatError(`${file}: ${member.name} does not decompress`, {
        path: file,
        value: member.name,
        cause: error,
      });
    throw error;
  } finally {
    // Stopped early (a hostile member, a handler's error): end the decoder, which closes the file.
    // What it reports while stopping no longer matters (and must not be an unhandled 'error').
    stream.on('error', () => undefined);
    stream.destroy();
  }
}

/** A `.deb` member's bytes, decompressed as its name says (a large xz member by one thread per core). */
export function decompressedMember(
  file: string,
  member: ArMember,
  options: { priority?: number } = {},
): AsyncGenerator<Buffer> {
  const raw = createReadStream(file, { start: member.offset, end: member.offset + member.size - 1 });
  return decompress(raw, compressionOfFileName(member.name), {
    origin: `${file}: ${member.name}`,
    threads: member.size >= THREADED_XZ_BYTES ? 0 : 1,
    ...options,
  });
}

/** Parses a decompressed tarball (`what` names it in errors) with the checks of `readDebTarball`. */
export async function parseDebTar(
  file: string,
  what: string,
  stream: Readable,
  onEntry: DebEntryHandler,
): Promise<void> {
  let stopped: { error: unknown } | undefined;
  // The member was decompressed by its name already: node-tar must not sniff another layer (brotli
  // and zstd can be switched off; gzip cannot, so gzip magic is refused before the parser).
  const parser = new Parser({ strict: true, maxMetaEntrySize: DEB_TAR_LIMITS.metaBytes, brotli: false, zstd: false });
  const stop: StopTarball = (error) => {
    if (stopped) return;
    stopped = { error };
    parser.abort(new Error('stopped')); // the reason is thrown below, not handed to node-tar (which decorates it)
  };
  parser.on('entry', (entry: ReadEntry) => {
    if (stopped) {
      entry.resume();
      return;
    }
    try {
      checkLengths(file, what, entry);
      onEntry(entry, stop);
    } catch (error) {
      entry.resume();
      stop(error);
    }
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    if (entry.meta)
      stop(
        new DebFormatError(
          `${file}: ${what}: a ${entry.type} header of ${entry.size} bytes (limit ${DEB_TAR_LIMITS.metaBytes})`,
          { path: file, value: entry.size },
        ),
      );
  });
  try {
    await pipeline(stream, refuseGzipMagic(file, what), parser);
  } catch (error) {
    if (stopped) throw stopped.error;
    // Ours, and core's from the decompressing stream (damaged data, a missing xz) pass as they are.
    if (error instanceof BootstrapError || isDistroforgeError(error)) throw error;
    throw new DebFormatError(`${file}: ${what} is corrupt: ${(error as Error).message}`, {
      path: file,
      value: what,
      cause: error,
    });
  }
  if (stopped) throw stopped.error;
}

/** Path and link target within PATH_MAX (node-tar already cuts both at a NUL byte). */
function checkLengths(file: string, what: string, entry: ReadEntry): void {
  for (const [field, value] of [
    ['path', entry.path],
    ['link target', entry.linkpath],
  ] as const) {
    if (value === undefined) continue;
    const bytes = Buffer.byteLength(value);
    if (bytes > DEB_TAR_LIMITS.pathBytes) {
      throw new DebFormatError(
        `${file}: ${what}: a member ${field} of ${bytes} bytes (limit ${DEB_TAR_LIMITS.pathBytes})`,
        { path: file, value: `${value.slice(0, 200)}…` },
      );
    }
  }
}

/** Passes a tarball through, refusing one that starts with gzip's magic (a second compression layer). */
function refuseGzipMagic(file: string, what: string): Transform {
  let head: Buffer | undefined = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!head) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < 2) return done();
      const first = head;
      head = undefined;
      if (first[0] === 0x1f && first[1] === 0x8b)
        return done(
          new DebFormatError(`${file}: ${what} holds a gzip stream, not a tarball`, { path: file, value: what }),
        );
      done(null, first);
    },
    flush(done) {
      done(null, head?.length ? head : undefined);
    },
  });
}
