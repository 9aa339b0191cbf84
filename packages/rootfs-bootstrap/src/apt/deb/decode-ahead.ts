import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { debMember, decompressedMember } from './tarball.js';

/** How much is decoded ahead, and how. */
export interface DecodeAheadOptions {
  /** Only xz members of at least this many bytes (default 0: every xz member). */
  minBytes?: number;
  /** Decoders running at once (default 2). */
  concurrency?: number;
}

interface Entry {
  name: string;
  file: string;
  /** Settles with the tarball (undefined: not decoded) once the decode ran, or at once when it was given up before it started. */
  result: Promise<string | undefined>;
  settle: (tarball: string | undefined) => void;
  state: 'queued' | 'running' | 'done';
}

/**
 * Data members decompressed ahead of their unpack, each into a plain tarball in a folder of its
 * own, by decoders at a low priority (nice 10), a few at a time in the order given: the apt install
 * starts this for the packages of its second stage while the essential set's `dpkg --configure`
 * runs scripts one after another on one core. Unpacking a package then reads its tarball and
 * decodes nothing (Debian's kernel: 70 MB of xz, ~3 s of one core, ~2 s of two). What is unpacked
 * is the same bytes either way.
 *
 * A package whose turn has not come when its unpack asks for it is left to the unpack (which
 * decodes it at once rather than wait behind the queue); so is one whose member is not xz (gzip
 * and zstd decode faster than a tarball is written and read back), and one whose decode fails
 * (damaged data, a full disk): the unpack's own decoding reports the damage as it always does.
 */
export class DataDecodeAhead {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private readonly stop = new AbortController();
  private running = 0;

  private constructor(
    private readonly dir: string,
    private readonly minBytes: number,
    private readonly concurrency: number,
  ) {}

  /** Starts decoding the data members of `files` (package name -> .deb, in unpack order) into a new folder in `parent`. */
  static async start(
    parent: string,
    files: ReadonlyMap<string, string>,
    options: DecodeAheadOptions = {},
  ): Promise<DataDecodeAhead> {
    const ahead = new DataDecodeAhead(
      await mkdtemp(join(parent, '.decoded-data-')),
      options.minBytes ?? 0,
      Math.max(1, options.concurrency ?? 2),
    );
    for (const [name, file] of files) {
      let settle!: (tarball: string | undefined) => void;
      const result = new Promise<string | undefined>((resolve) => {
        settle = resolve;
      });
      const entry: Entry = { name, file, result, settle, state: 'queued' };
      ahead.entries.set(name, entry);
      ahead.queue.push(entry);
    }
    ahead.next();
    return ahead;
  }

  /**
   * The plain data tarball of a package when it is decoded ahead (waiting while its decode runs),
   * else undefined: not asked for, not xz, failed, or not started yet (then it never is).
   */
  take(name: string): Promise<string | undefined> {
    const entry = this.entries.get(name);
    if (!entry) return Promise.resolve(undefined);
    if (entry.state === 'queued') this.giveUp(entry);
    return entry.result;
  }

  /** Stops the decoders still running and removes every decoded tarball. */
  async close(): Promise<void> {
    this.stop.abort();
    for (const entry of [...this.queue]) this.giveUp(entry);
    await Promise.all([...this.entries.values()].map((e) => e.result));
    await rm(this.dir, { recursive: true, force: true });
  }

  private giveUp(entry: Entry): void {
    const at = this.queue.indexOf(entry);
    if (at >= 0) this.queue.splice(at, 1);
    entry.state = 'done';
    entry.settle(undefined);
  }

  /** Starts queued decodes while fewer than `concurrency` run. */
  private next(): void {
    while (this.running < this.concurrency && !this.stop.signal.aborted) {
      const entry = this.queue.shift();
      if (!entry) return;
      entry.state = 'running';
      this.running++;
      void this.decode(entry).then((tarball) => {
        this.running--;
        entry.state = 'done';
        entry.settle(tarball);
        this.next();
      });
    }
  }

  private async decode({ name, file }: Entry): Promise<string | undefined> {
    try {
      const member = await debMember(file, 'data.tar');
      if (!member.name.endsWith('.xz') || member.size < this.minBytes) return undefined;
      const tar = join(this.dir, `${name}.tar`);
      const decoded = decompressedMember(file, member, { priority: 10 });
      try {
        await pipeline(Readable.from(decoded, { objectMode: false }), createWriteStream(tar), {
          signal: this.stop.signal,
        });
      } finally {
        // A stopped pipeline does not wait for the generator's cleanup: this does (the xz process
        // is killed and reaped), so no decoder outlives its entry, nor close().
        await decoded.return(undefined);
      }
      return tar;
    } catch {
      return undefined;
    }
  }
}
