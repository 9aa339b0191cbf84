import {
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  lutimesSync,
  openSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

/**
 * One leaf of the tree to make: a regular file with its bytes, or a symlink. Nothing may be at
 * `host` (the caller removed what was there); the parent directory exists.
 */
export interface LeafJob {
  kind: 'file' | 'symlink';
  host: string;
  /** file: the mode to open it with (the umask applies). */
  mode: number;
  /** file: set with fchmod after the data (special bits, or bits the umask would drop). */
  chmod?: number;
  /** Set with fchown / lchown when given. */
  owner?: { uid: number; gid: number };
  /** Seconds; set with futimes / lutimes when given. */
  mtime?: number;
  /** symlink: its target. */
  linkpath?: string;
}

/** A job that failed: its number (in the order of `add`) and the system call's error. */
export interface LeafFailure {
  job: number;
  error: NodeJS.ErrnoException;
}

/** Where a file job's bytes go, chunk by chunk, before `end()` hands the job over. */
export interface LeafData {
  write(chunk: Buffer): void;
  end(): void;
}

/**
 * Makes the leaves of an unpacked tree (regular files and symlinks: each a new inode, most of an
 * install's system time) on worker threads, while the caller goes on parsing archives and making
 * directories in order. The caller keeps the order's meaning: a job's path is `pending` until the
 * next `drain()`, and whatever would look at or through a pending path drains first, so every
 * step sees the tree the sequential unpack would have seen. Failures come back at `drain()`, the
 * first in job order. With 0 threads every job is done at once in this thread (the same calls).
 */
export class LeafWriters {
  private readonly workers: { worker: Worker; port: MessagePort; posted: number }[] = [];
  private readonly done: Int32Array | undefined;
  private readonly pendingHosts = new Set<string>();
  private batch: { jobs: WireJob[]; slabs: ArrayBuffer[]; bytes: number; first: number } | undefined;
  private slab: { buffer: Buffer; used: number } | undefined;
  private posted = 0;
  private jobs = 0;
  private failures: LeafFailure[] = [];
  /** Set when a thread could not start: batches are then done in this thread. */
  private noThreads = false;
  /** Slabs the threads gave back, used again (fewer fresh allocations, fewer collections). */
  private readonly freeSlabs: ArrayBuffer[] = [];

  constructor(readonly threads: number) {
    // [0]: batches done; [1]: threads started.
    if (threads > 0) this.done = new Int32Array(new SharedArrayBuffer(8));
  }

  /** Whether a job at `host` has not been drained yet. */
  isPending(host: string): boolean {
    return this.pendingHosts.has(host);
  }

  /** Whether any job has not been drained yet. */
  get busy(): boolean {
    return this.pendingHosts.size > 0;
  }

  /** A symlink job; returns its number. */
  symlink(job: LeafJob): number {
    const n = this.jobs++;
    if (!this.done) {
      this.runInline(n, job);
      return n;
    }
    this.pendingHosts.add(job.host);
    this.enqueue({ ...job, n, slab: -1, offset: 0, length: 0 }, 0);
    return n;
  }

  /** A file job of `size` bytes; its bytes arrive through the returned sink, and `end()` hands it over. */
  file(job: LeafJob, size: number): { n: number; data: LeafData } {
    const n = this.jobs++;
    if (!this.done) {
      let fd: number | undefined;
      const guarded = (step: () => void) => {
        if (fd === undefined && !this.failures.length) {
          try {
            fd = openSync(job.host, 'wx', job.mode);
          } catch (error) {
            this.fail(n, error);
          }
        }
        if (fd === undefined) return;
        try {
          step();
        } catch (error) {
          closeQuietly(fd);
          fd = undefined;
          this.fail(n, error);
        }
      };
      guarded(() => undefined);
      return {
        n,
        data: {
          write: (chunk) =>
            guarded(() => {
              for (let off = 0; off < chunk.length; ) off += writeSync(fd!, chunk, off);
            }),
          end: () =>
            guarded(() => {
              finishFile(fd!, job);
              closeSync(fd!);
              fd = undefined;
            }),
        },
      };
    }
    this.pendingHosts.add(job.host);
    const place = this.reserve(size);
    let filled = 0;
    return {
      n,
      data: {
        write: (chunk) => {
          chunk.copy(place.buffer, place.offset + filled);
          filled += chunk.length;
        },
        end: () => this.enqueue({ ...job, n, slab: place.slab, offset: place.offset, length: filled }, filled),
      },
    };
  }

  /**
   * Waits until every job handed over so far is done; returns the first failure in job order (the
   * failures are then forgotten), or undefined. With 0 threads: the first failure since the last call.
   */
  drain(): LeafFailure | undefined {
    if (this.done) {
      this.flush();
      for (;;) {
        const finished = Atomics.load(this.done, 0);
        if (finished >= this.posted) break;
        Atomics.wait(this.done, 0, finished);
      }
      for (const { port } of this.workers) {
        for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
          const reply = m.message as WireReply;
          for (const slab of reply.slabs) if (this.freeSlabs.length < FREE_SLABS) this.freeSlabs.push(slab);
          if (reply.failure) this.failures.push({ job: reply.failure.job, error: reviveErrno(reply.failure) });
        }
      }
      this.pendingHosts.clear();
    }
    const first = this.failures.sort((a, b) => a.job - b.job)[0];
    this.failures = [];
    return first;
  }

  /** Stops the threads (after draining: what was handed over is done). */
  async close(): Promise<void> {
    this.drain();
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    this.workers.length = 0;
  }

  private fail(n: number, error: unknown): void {
    this.failures.push({ job: n, error: error as NodeJS.ErrnoException });
  }

  private runInline(n: number, job: LeafJob): void {
    if (this.failures.length) return;
    try {
      symlinkSync(job.linkpath!, job.host);
      if (job.owner) lchownSync(job.host, job.owner.uid, job.owner.gid);
      if (job.mtime !== undefined) lutimesSync(job.host, job.mtime, job.mtime);
    } catch (error) {
      this.fail(n, error);
    }
  }

  /** Room for `size` bytes in the current batch: in the shared slab, or a buffer of its own when large. */
  private reserve(size: number): { slab: number; offset: number; buffer: Buffer } {
    const batch = this.openBatch();
    if (size > SLAB_BYTES / 4) {
      const buffer = Buffer.allocUnsafeSlow(size);
      batch.slabs.push(buffer.buffer as ArrayBuffer);
      return { slab: batch.slabs.length - 1, offset: 0, buffer };
    }
    if (!this.slab || this.slab.used + size > this.slab.buffer.length) {
      const reused = this.freeSlabs.pop();
      this.slab = { buffer: reused ? Buffer.from(reused) : Buffer.allocUnsafeSlow(SLAB_BYTES), used: 0 };
      batch.slabs.push(this.slab.buffer.buffer as ArrayBuffer);
    }
    const offset = this.slab.used;
    this.slab.used += size;
    return { slab: batch.slabs.indexOf(this.slab.buffer.buffer as ArrayBuffer), offset, buffer: this.slab.buffer };
  }

  private openBatch() {
    this.batch ??= { jobs: [], slabs: [], bytes: 0, first: this.jobs };
    return this.batch;
  }

  private enqueue(job: WireJob, bytes: number): void {
    const batch = this.openBatch();
    batch.jobs.push(job);
    batch.bytes += bytes;
    if (batch.jobs.length >= BATCH_JOBS || batch.bytes >= BATCH_BYTES) this.flush();
  }

  /** Hands the current batch to the thread with the fewest batches outstanding. */
  private flush(): void {
    const batch = this.batch;
    if (!batch || batch.jobs.length === 0) return;
    // A job whose bytes are still arriving keeps its slab: the batch goes when that job ends.
    this.batch = undefined;
    this.slab = undefined;
    const target = this.pickWorker();
    if (!target) {
      // No thread could start: this thread does the batch, as a thread would have.
      const failure = runBatch(batch.jobs, batch.slabs);
      if (failure) this.failures.push({ job: failure.job, error: reviveErrno(failure) });
      return;
    }
    target.posted++;
    this.posted++;
    target.worker.postMessage({ jobs: batch.jobs, slabs: batch.slabs } satisfies WireBatch, batch.slabs);
    // Bounded memory: with this many batches not yet done, wait for the threads to catch up.
    const done = this.done!;
    for (let finished = Atomics.load(done, 0); this.posted - finished > MAX_IN_FLIGHT; finished = Atomics.load(done, 0))
      Atomics.wait(done, 0, finished);
  }

  private pickWorker() {
    const done = this.done!;
    const finishedApprox = Atomics.load(done, 0);
    if (
      !this.noThreads &&
      this.workers.length < this.threads &&
      (this.workers.length === 0 || this.posted > finishedApprox)
    ) {
      const started = Atomics.load(done, 1);
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { done, port: port2, slabBytes: SLAB_BYTES },
        transferList: [port2],
        // Not this process's flags (--input-type=module would make the code a module, say).
        execArgv: [],
        stdout: false,
        stderr: false,
      });
      worker.unref();
      // Its failures are reported per batch; anything else shows as a thread that never starts.
      worker.on('error', () => undefined);
      // Waited for here, once: a thread that cannot start would otherwise leave drain() waiting.
      const deadline = Date.now() + WORKER_START_MS;
      while (Atomics.load(done, 1) === started && Date.now() < deadline)
        Atomics.wait(done, 1, started, deadline - Date.now());
      if (Atomics.load(done, 1) === started) {
        void worker.terminate();
        this.noThreads = true;
      } else this.workers.push({ worker, port: port1, posted: 0 });
    }
    if (this.workers.length === 0) return undefined;
    // Fewest handed over: the threads' own progress is not known without a round trip.
    return this.workers.reduce((a, b) => (b.posted < a.posted ? b : a));
  }
}

/** A batch holds up to this many jobs or bytes before it is handed over. */
const BATCH_JOBS = 48;
const BATCH_BYTES = 512 << 10;
const SLAB_BYTES = 1 << 20;
const FREE_SLABS = 8;
/** Batches handed over and not yet done, at most (their slabs are the memory the writes hold). */
const MAX_IN_FLIGHT = 6;
/** How long a new thread may take to start before the batches are done in this thread instead. */
const WORKER_START_MS = 30_000;

interface WireJob extends LeafJob {
  n: number;
  slab: number;
  offset: number;
  length: number;
}

interface WireBatch {
  jobs: WireJob[];
  slabs: ArrayBuffer[];
}

interface WireReply {
  /** The batch's shared slabs, handed back. */
  slabs: ArrayBuffer[];
  failure?: { job: number; code?: string; errno?: number; syscall?: string; path?: string; message: string };
}

/** One batch, as a thread does it (the code of WORKER_SOURCE); the first failure, or undefined. */
function runBatch(jobs: readonly WireJob[], slabs: readonly ArrayBuffer[]): WireReply['failure'] {
  for (const job of jobs) {
    try {
      if (job.kind === 'symlink') {
        symlinkSync(job.linkpath!, job.host);
        if (job.owner) lchownSync(job.host, job.owner.uid, job.owner.gid);
        if (job.mtime !== undefined) lutimesSync(job.host, job.mtime, job.mtime);
        continue;
      }
      const fd = openSync(job.host, 'wx', job.mode);
      try {
        const data = Buffer.from(slabs[job.slab] ?? new ArrayBuffer(0), job.offset, job.length);
        for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
        finishFile(fd, job);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      return {
        job: job.n,
        message: e.message,
        ...(e.code === undefined ? {} : { code: e.code }),
        ...(e.errno === undefined ? {} : { errno: e.errno }),
        ...(e.syscall === undefined ? {} : { syscall: e.syscall }),
        ...(e.path === undefined ? {} : { path: e.path }),
      };
    }
  }
  return undefined;
}

function finishFile(fd: number, job: LeafJob): void {
  if (job.owner) fchownSync(fd, job.owner.uid, job.owner.gid);
  if (job.chmod !== undefined) fchmodSync(fd, job.chmod);
  if (job.mtime !== undefined) futimesSync(fd, job.mtime, job.mtime);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function reviveErrno(failure: NonNullable<WireReply['failure']>): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(failure.message);
  if (failure.code !== undefined) error.code = failure.code;
  if (failure.errno !== undefined) error.errno = failure.errno;
  if (failure.syscall !== undefined) error.syscall = failure.syscall;
  if (failure.path !== undefined) error.path = failure.path;
  return error;
}

/**
 * The threads' code: plain JavaScript evaluated in the worker (nothing to resolve or bundle, the
 * same from the sources and from dist/), doing exactly what the inline path does per job. After a
 * failure the rest of its batch is skipped (the install fails; nothing after it matters).
 */
export const WORKER_SOURCE = /* js */ `
Promise.all([import('node:fs'), import('node:worker_threads')]).then(([fs, threads]) => {
  const { done, port, slabBytes } = threads.workerData;
  threads.parentPort.on('message', ({ jobs, slabs }) => {
    let failure;
    for (const job of jobs) {
      try {
        if (job.kind === 'symlink') {
          fs.symlinkSync(job.linkpath, job.host);
          if (job.owner) fs.lchownSync(job.host, job.owner.uid, job.owner.gid);
          if (job.mtime !== undefined) fs.lutimesSync(job.host, job.mtime, job.mtime);
          continue;
        }
        const fd = fs.openSync(job.host, 'wx', job.mode);
        try {
          if (job.length > 0) {
            const data = Buffer.from(slabs[job.slab], job.offset, job.length);
            for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off);
          }
          if (job.owner) fs.fchownSync(fd, job.owner.uid, job.owner.gid);
          if (job.chmod !== undefined) fs.fchmodSync(fd, job.chmod);
          if (job.mtime !== undefined) fs.futimesSync(fd, job.mtime, job.mtime);
        } finally {
          fs.closeSync(fd);
        }
      } catch (error) {
        failure = { job: job.n, code: error.code, errno: error.errno, syscall: error.syscall, path: error.path, message: error.message };
        break;
      }
    }
    const back = slabs.filter((slab) => slab.byteLength === slabBytes);
    port.postMessage(failure ? { failure, slabs: back } : { slabs: back }, back);
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  });
  Atomics.add(done, 1, 1);
  Atomics.notify(done, 1);
});
`;
