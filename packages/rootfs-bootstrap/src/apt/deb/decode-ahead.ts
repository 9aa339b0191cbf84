import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { debMember, decompressedMember, THREADED_XZ_BYTES } from './tarball.js';

/**
 * Data members decompressed ahead of their unpack, each into a plain tarball in a folder of its
 * own, by a decoder at a low priority (nice 10): the apt install starts this for the packages of
 * its second stage while the essential set's `dpkg --configure` runs scripts one after another on
 * one core. Unpacking those packages then reads the tarball and decodes nothing (Debian's kernel:
 * 70 MB of xz, ~3 s of one core, ~2 s of two). What is unpacked is the same bytes either way.
 *
 * Only xz members of `THREADED_XZ_BYTES` or more are decoded ahead: the small ones decode side by
 * side during the unpack anyway, and each decoded tarball is disk space until its unpack. A decode
 * that fails (damaged data, a full disk) leaves that package to the unpack's own decoding, which
 * reports the damage as it always does.
 */
export class DataDecodeAhead {
  private readonly decoded = new Map<string, Promise<string | undefined>>();
  private readonly stop = new AbortController();

  private constructor(private readonly dir: string) {}

  /** Starts decoding the large data members of `files` (package name -> .deb) into a new folder in `parent`. */
  static async start(parent: string, files: ReadonlyMap<string, string>): Promise<DataDecodeAhead> {
    const ahead = new DataDecodeAhead(await mkdtemp(join(parent, '.decoded-data-')));
    for (const [name, file] of files) ahead.decoded.set(name, ahead.decode(name, file));
    return ahead;
  }

  /** The plain data tarball of a package when it was decoded ahead (waiting for its decode), else undefined. */
  take(name: string): Promise<string | undefined> {
    return this.decoded.get(name) ?? Promise.resolve(undefined);
  }

  /** Stops the decoders still running and removes every decoded tarball. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.decoded.values());
    await rm(this.dir, { recursive: true, force: true });
  }

  private async decode(name: string, file: string): Promise<string | undefined> {
    try {
      const member = await debMember(file, 'data.tar');
      if (!member.name.endsWith('.xz') || member.size < THREADED_XZ_BYTES) return undefined;
      const tar = join(this.dir, `${name}.tar`);
      await pipeline(
        Readable.from(decompressedMember(file, member, { priority: 10 }), { objectMode: false }),
        createWriteStream(tar),
        { signal: this.stop.signal },
      );
      return tar;
    } catch {
      return undefined;
    }
  }
}
