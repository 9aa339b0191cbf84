import { open, readFile } from 'node:fs/promises';
import { sourceDateEpoch as envSourceDateEpoch } from '@distroforge/core';
import { archivePath, typeBits, type CpioEntry } from './cpio-entry.js';
import { encodeNewcHeader, pad4, type NewcHeaderFields } from './encode-newc-header.js';
import { CpioEntryError, CpioSourceChangedError } from './errors.js';

export interface WriteCpioOptions {
  /**
   * Upper bound for every mtime (and the mtime of entries that have none). Default: the
   * `SOURCE_DATE_EPOCH` environment variable; `null` disables clamping even when it is set.
   */
  sourceDateEpoch?: number | null;
  /** The archive is padded with NULs to a multiple of this (default 512, as GNU cpio and the kernel's gen_init_cpio). */
  blockSize?: number;
  /** The first inode number assigned (default 0, as `cpio --reproducible`). */
  firstInode?: number;
}

/** Files up to this size are read in one go (and ahead of time); larger ones are streamed. */
const SMALL_FILE = 1 << 20;
/** Read-ahead window: keeps the thread pool busy without letting memory grow with the archive. */
const READ_AHEAD_ENTRIES = 64;
const READ_AHEAD_BYTES = 16 << 20;
/** Output is handed out in chunks of about this size. */
const CHUNK = 1 << 20;

interface Prepared {
  entry: CpioEntry;
  data: Promise<Buffer> | Buffer | undefined;
  size: number;
}

/**
 * Encodes entries as a newc (070701) archive, yielding it in chunks of about 1 MiB. Memory stays
 * flat in the archive size: file contents are read shortly before they are written and large files
 * are streamed. Entries are written in the order given (the directory and spec inputs sort them).
 */
export async function* writeCpio(
  entries: AsyncIterable<CpioEntry> | Iterable<CpioEntry>,
  options: WriteCpioOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const epoch = options.sourceDateEpoch === undefined ? envSourceDateEpoch() : (options.sourceDateEpoch ?? undefined);
  const blockSize = options.blockSize ?? 512;
  if (!Number.isInteger(blockSize) || blockSize < 4 || blockSize % 4 !== 0) {
    throw new CpioEntryError(`blockSize must be a positive multiple of 4, got ${blockSize}`, { value: blockSize });
  }
  let nextInode = options.firstInode ?? 0;
  const seen = new Set<string>();
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  let written = 0;

  const iterator = toAsyncIterator(entries);
  const queue: Prepared[] = [];
  let inFlight = 0;
  let exhausted = false;
  const refill = async (): Promise<void> => {
    while (!exhausted && queue.length < READ_AHEAD_ENTRIES && inFlight < READ_AHEAD_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const prepared = prepare(next.value);
      if (prepared.data instanceof Promise) inFlight += prepared.size;
      queue.push(prepared);
    }
  };

  try {
    for (;;) {
      await refill();
      const item = queue.shift();
      if (!item) break;
      const { entry } = item;
      const names = [entry.path, ...(entry.links ?? [])].map(archivePath);
      for (const name of names) {
        if (seen.has(name)) throw new CpioEntryError(`duplicate archive name ${JSON.stringify(name)}`, { value: name });
        seen.add(name);
      }
      const ino = entry.ino ?? nextInode;
      nextInode = Math.max(nextInode, ino + 1);
      const base = headerFields(entry, ino, names.length, epoch);
      for (let i = 0; i < names.length; i++) {
        const last = i === names.length - 1;
        const name = names[i] as string;
        const header = encodeNewcHeader({ ...base, filesize: last ? item.size : 0 }, name);
        push(header);
        if (!last) continue;
        if (entry.type === 'symlink') {
          const target = Buffer.from(entry.target ?? '');
          push(target);
          push(Buffer.alloc(pad4(target.length)));
        } else if (entry.type === 'file') {
          if (item.data !== undefined) {
            const data = await item.data;
            if (item.data instanceof Promise) inFlight -= item.size;
            if (data.length !== item.size) throw new CpioSourceChangedError(entry.source ?? name, item.size, data.length);
            push(data);
          } else {
            for (const chunk of pending.splice(0)) yield chunk;
            written += pendingBytes;
            pendingBytes = 0;
            for await (const chunk of streamFile(entry.source as string, item.size)) {
              written += chunk.length;
              yield chunk;
            }
          }
          push(Buffer.alloc(pad4(item.size)));
        }
      }
      if (pendingBytes >= CHUNK) yield flush();
    }
    push(encodeNewcHeader({ ...zeroFields, nlink: 1 }, 'TRAILER!!!'));
    const total = written + pendingBytes;
    push(Buffer.alloc((blockSize - (total % blockSize)) % blockSize));
    yield flush();
  } finally {
    // Read-ahead promises of an aborted run must not become unhandled rejections.
    for (const item of queue) if (item.data instanceof Promise) item.data.catch(() => undefined);
    await iterator.return?.();
  }

  function push(buffer: Buffer): void {
    if (buffer.length === 0) return;
    pending.push(buffer);
    pendingBytes += buffer.length;
  }
  function flush(): Buffer {
    const out = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    written += pendingBytes;
    pending.length = 0;
    pendingBytes = 0;
    return out;
  }
}

const zeroFields: NewcHeaderFields = {
  ino: 0, mode: 0, uid: 0, gid: 0, nlink: 0, mtime: 0, filesize: 0,
  devmajor: 0, devminor: 0, rdevmajor: 0, rdevminor: 0, check: 0,
};

function prepare(entry: CpioEntry): Prepared {
  const where = { path: entry.path, value: entry.path };
  if (!(entry.type in typeBits)) throw new CpioEntryError(`${entry.path}: unknown entry type ${JSON.stringify(entry.type)}`, where);
  if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) {
    throw new CpioEntryError(`${entry.path}: mode must be permission bits 0..0o7777, got ${entry.mode}`, { ...where, value: entry.mode });
  }
  if (entry.links?.length && entry.type !== 'file') throw new CpioEntryError(`${entry.path}: only regular files can have hard links`, where);
  switch (entry.type) {
    case 'file': {
      if (entry.data !== undefined) {
        const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
        return { entry, data, size: data.length };
      }
      if (entry.source === undefined) return { entry, data: Buffer.alloc(0), size: 0 };
      const size = entry.size;
      if (size === undefined || !Number.isInteger(size) || size < 0) throw new CpioEntryError(`${entry.path}: a file with a source needs its size`, where);
      if (size > SMALL_FILE || size > 0xffffffff) return { entry, data: undefined, size };
      const data = readFile(entry.source);
      data.catch(() => undefined);
      return { entry, data, size };
    }
    case 'symlink':
      if (!entry.target) throw new CpioEntryError(`${entry.path}: a symlink needs a target`, where);
      return { entry, data: undefined, size: Buffer.byteLength(entry.target) };
    case 'char':
    case 'block':
      if (entry.major === undefined || entry.minor === undefined) throw new CpioEntryError(`${entry.path}: a ${entry.type} device needs major and minor`, where);
      return { entry, data: undefined, size: 0 };
    default:
      return { entry, data: undefined, size: 0 };
  }
}

function headerFields(entry: CpioEntry, ino: number, names: number, epoch: number | undefined): NewcHeaderFields {
  const mtime = entry.mtime ?? epoch ?? 0;
  const device = entry.type === 'char' || entry.type === 'block';
  return {
    ino,
    mode: typeBits[entry.type] | entry.mode,
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    nlink: entry.nlink ?? (entry.type === 'dir' ? 2 : names),
    mtime: epoch === undefined ? mtime : Math.min(mtime, epoch),
    filesize: 0,
    devmajor: 0,
    devminor: 0,
    rdevmajor: device ? (entry.major as number) : 0,
    rdevminor: device ? (entry.minor as number) : 0,
    check: 0,
  };
}

async function* streamFile(path: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size - total, 1)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > size) throw new CpioSourceChangedError(path, size, total);
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
    if (total !== size) throw new CpioSourceChangedError(path, size, total);
  } finally {
    await handle.close();
  }
}

function toAsyncIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return {
    next: async () => sync.next(),
    return: async () => sync.return?.() ?? { done: true, value: undefined },
  };
}
