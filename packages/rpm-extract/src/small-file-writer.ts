import { closeSync, constants, fchmodSync, futimesSync, openSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { RpmError } from './errors.js';
import { writeError } from './write-error.js';

/** One small regular file, its whole contents in memory. */
export interface SmallFile {
  /** Host path to create (its directory exists). */
  abs: string;
  /** Package path, for error messages. */
  path: string;
  chunks: Buffer[];
  size: number;
  /** Permission bits, applied with fchmod (not filtered by the umask). */
  mode: number;
  /** Seconds since the epoch, or undefined to leave the time of writing. */
  mtime: number | undefined;
}

/** Creates small files; `drain` waits until every file handed over is on disk (or throws the first failure). */
export interface SmallFileWriter {
  /**
   * Creates empty files at these paths (directories must exist) ahead of their contents, where
   * that is cheaper; a path that already exists, or cannot be created, is left alone.
   */
  createPlaceholders(paths: string[]): void;
  /** Queues or writes the file; returns a promise only when the caller must wait (memory bound). */
  write(file: SmallFile): Promise<void> | undefined;
  drain(): Promise<void>;
  /** Stops at once: nothing is written after it resolves. Call once, always. */
  close(): Promise<void>;
}

/** Opens for writing, never through a symlink at the path itself (a package cannot redirect its own files). */
export const writeFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
/** Creates a file that must not exist yet (a placeholder, or a file of a fresh target), never through a symlink. */
export const placeholderFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Synchronous open/write/fchmod/futimes/close on the calling thread: cheapest for a few files.
 * Given the process's umask, files are created with their permission bits and fchmod runs only
 * where the umask strips some of them or the mode has setuid, setgid or sticky bits.
 */
export function directWriter(umask?: number): SmallFileWriter {
  return {
    createPlaceholders: () => undefined,
    write: (file) => writeNow(file, umask),
    drain: async () => undefined,
    close: async () => undefined,
  };
}

function writeNow(file: SmallFile, umask: number | undefined): undefined {
  try {
    const created = umask === undefined ? undefined : createNew(file);
    const fd = created ?? openSync(file.abs, writeFlags, 0o600);
    try {
      for (const chunk of file.chunks) {
        let at = 0;
        while (at < chunk.length) at += writeSync(fd, chunk, at);
      }
      if (created === undefined || (file.mode & (0o7000 | umask!)) !== 0) fchmodSync(fd, file.mode);
      if (file.mtime !== undefined) futimesSync(fd, file.mtime, file.mtime);
    } finally {
      closeSync(fd);
    }
  } catch (cause) {
    throw writeError(file.path, cause);
  }
}

/** The new file's descriptor, created with the final permission bits; undefined if the path exists. */
function createNew(file: SmallFile): number | undefined {
  try {
    return openSync(file.abs, placeholderFlags, file.mode & 0o777);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
}

const probeFiles = 64;
const slowFileMs = 0.25;

/**
 * Writes on the calling thread, timing the first files; if creating a file turns out slow (median
 * over `probeFiles`, robust to a preemption or two), hands the rest to `upgrade()`. Creation is
 * cheap on most file systems, where threads only add overhead, but can cost a millisecond or more
 * (journal-less ext4 skipping recently freed inodes, network file systems), where threads pay off.
 */
export function adaptiveWriter(upgrade: () => SmallFileWriter, umask?: number): SmallFileWriter {
  const times: number[] = [];
  let threaded: SmallFileWriter | undefined;
  return {
    createPlaceholders: () => undefined,
    write(file) {
      if (threaded) return threaded.write(file);
      const start = performance.now();
      writeNow(file, umask);
      if (times.length < probeFiles) {
        times.push(performance.now() - start);
        if (times.length === probeFiles && median(times) > slowFileMs) threaded = upgrade();
      }
      return undefined;
    },
    drain: async () => threaded?.drain(),
    close: async () => threaded?.close(),
  };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}

// The worker body is plain JavaScript evaluated from a string, so it runs the same from src/
// (vitest) and from the bundle in dist/ without a separate entry file to locate. It must parse as
// a script and as a module (a parent started with --input-type=module evaluates it as ESM), hence
// process.getBuiltinModule rather than require or import.
export const workerSource = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const fs = process.getBuiltinModule('node:fs');
const { Buffer } = process.getBuiltinModule('node:buffer');
const { writeFlags, placeholderFlags } = workerData;
const writes = [];
const placeholders = [];
let scheduled = false;
function write(files, data) {
  const bytes = Buffer.from(data);
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    try {
      const fd = fs.openSync(f.abs, writeFlags, 0o600);
      try {
        let at = f.offset;
        const end = f.offset + f.size;
        while (at < end) at += fs.writeSync(fd, bytes, at, end - at);
        fs.fchmodSync(fd, f.mode);
        if (f.mtime !== undefined) fs.futimesSync(fd, f.mtime, f.mtime);
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      return { failed: i, message: String(error && error.message), code: error && error.code };
    }
  }
  return {};
}
// Writes first (the main thread waits for them); placeholders fill the idle time, a few at a time.
function pump() {
  scheduled = false;
  const job = writes.shift();
  if (job) {
    parentPort.postMessage({ id: job.id, ...write(job.files, job.data) });
  } else {
    const job = placeholders[0];
    if (!job) return;
    for (const path of job.paths.splice(0, 8)) {
      try {
        fs.closeSync(fs.openSync(path, placeholderFlags, 0o600));
      } catch {}
    }
    if (job.paths.length === 0) {
      placeholders.shift();
      parentPort.postMessage({ id: job.id });
    }
  }
  schedule();
}
function schedule() {
  if (!scheduled && (writes.length || placeholders.length)) {
    scheduled = true;
    setImmediate(pump);
  }
}
parentPort.on('message', (job) => {
  (job.paths ? placeholders : writes).push(job);
  schedule();
});
`;

interface BatchEntry {
  abs: string;
  offset: number;
  size: number;
  mode: number;
  mtime: number | undefined;
}

interface BatchReply {
  id: number;
  failed?: number;
  message?: string;
  code?: string;
}

const maxBatchFiles = 64;
const maxBatchBytes = 1 << 20;
const batchesInFlightPerThread = 2;
const placeholdersPerJob = 128;

/**
 * Creates files on worker threads, in batches. Creating a file is a syscall-heavy, mostly
 * in-kernel job (inode allocation, directory update) that would otherwise stall decompression on
 * the main thread; on a file system that allocates inodes slowly it is most of the work, so
 * placeholders let the threads create every file while the payload is still being decompressed.
 * Batches keep the per-file messaging cost negligible; a bounded number of write batches in
 * flight keeps memory flat. The directory of every file must exist before it is handed over.
 */
export function threadedWriter(threads: number): SmallFileWriter {
  const workers: Worker[] = [];
  const pending = new Map<number, { paths: string[]; worker: Worker; settle: () => void }>();
  /** Write batches (bounded); `all` also holds placeholder jobs, which carry no data. */
  const writing = new Set<Promise<void>>();
  const all = new Set<Promise<void>>();
  let failure: RpmError | undefined;
  let nextId = 0;
  let next = 0;
  let batch: { files: SmallFile[]; bytes: number } = { files: [], bytes: 0 };

  const spawn = (): Worker => {
    // No inherited flags: the parent's loaders (--import) and heap settings are not needed here.
    const worker = new Worker(workerSource, { eval: true, execArgv: [], workerData: { writeFlags, placeholderFlags } });
    worker.on('message', (reply: BatchReply) => {
      const job = pending.get(reply.id);
      if (!job) return;
      pending.delete(reply.id);
      if (reply.failed !== undefined) {
        const cause = Object.assign(new Error(reply.message), { code: reply.code });
        failure ??= writeError(job.paths[reply.failed] ?? '', cause);
      }
      job.settle();
    });
    // A thread that dies fails every job it held.
    const died = (cause: unknown) => {
      for (const [id, job] of pending) {
        if (job.worker !== worker) continue;
        pending.delete(id);
        failure ??= writeError(job.paths[0] ?? '', cause);
        job.settle();
      }
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`file writer thread exited with ${code}`)));
    return worker;
  };
  const post = (message: object, paths: string[], transfer: ArrayBuffer[], to = next++ % threads): Promise<void> => {
    while (workers.length < threads) workers.push(spawn());
    const worker = workers[to]!;
    const id = nextId++;
    const done = new Promise<void>((settle) => pending.set(id, { paths, worker, settle }));
    all.add(done);
    void done.then(() => all.delete(done));
    worker.postMessage({ id, ...message }, transfer);
    return done;
  };
  const flush = () => {
    const { files, bytes } = batch;
    if (files.length === 0) return;
    batch = { files: [], bytes: 0 };
    // A fresh ArrayBuffer (never Buffer's shared pool), moved to the thread without a copy.
    const data = new ArrayBuffer(bytes);
    const view = Buffer.from(data);
    const entries: BatchEntry[] = [];
    let offset = 0;
    for (const file of files) {
      entries.push({ abs: file.abs, offset, size: file.size, mode: file.mode, mtime: file.mtime });
      for (const chunk of file.chunks) {
        chunk.copy(view, offset);
        offset += chunk.length;
      }
    }
    const done = post(
      { files: entries, data },
      files.map((f) => f.path),
      [data],
    );
    writing.add(done);
    void done.then(() => writing.delete(done));
  };

  const waitForRoom = async () => {
    while (writing.size >= threads * batchesInFlightPerThread) await Promise.race(writing);
    if (failure) throw failure;
  };

  return {
    createPlaceholders(paths) {
      // A contiguous share per thread: the threads then work in different directories, whose
      // updates the kernel serialises.
      const share = Math.ceil(paths.length / threads);
      for (let t = 0; t < threads; t++) {
        const mine = paths.slice(t * share, (t + 1) * share);
        for (let i = 0; i < mine.length; i += placeholdersPerJob) {
          const slice = mine.slice(i, i + placeholdersPerJob);
          void post({ paths: slice }, slice, [], t);
        }
      }
    },
    write(file) {
      if (failure) throw failure;
      if (batch.bytes + file.size > maxBatchBytes) flush();
      batch.files.push(file);
      batch.bytes += file.size;
      if (batch.files.length >= maxBatchFiles || batch.bytes >= maxBatchBytes) flush();
      return writing.size >= threads * batchesInFlightPerThread ? waitForRoom() : undefined;
    },
    async drain() {
      if (failure) throw failure;
      flush();
      await Promise.all(all);
      if (failure) throw failure;
    },
    async close() {
      batch = { files: [], bytes: 0 };
      await Promise.all(workers.map((w) => w.terminate()));
      for (const job of pending.values()) job.settle();
      pending.clear();
    },
  };
}
