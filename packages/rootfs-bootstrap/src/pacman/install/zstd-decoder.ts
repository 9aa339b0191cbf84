import { DecompressError } from '@distroforge/core';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';

/**
 * zstd decoded in this process, on worker threads, one file per thread at a time, the decoded
 * bytes handed back without a copy. The libzstd is the native one of the optional dependency
 * zstd-napi where it installed (built from its bundled sources; its streaming entry point), else
 * the WebAssembly one of zstddec (whose module ships inside its tarball), which takes about twice
 * the CPU time. A package install decodes ~100 zstd streams: a `zstd` process per stream costs a
 * fork of this (large) process each time, on the main thread, which cost more than the decoding
 * itself; here two cores decode while the main thread parses.
 */

/** Decoded bytes per chunk handed back (what `decompressFile` gives is 64 KiB pipes' worth). */
const OUT_BYTES = 1 << 20;
/** Compressed bytes read per step, straight into the decoder's memory. */
const IN_BYTES = 1 << 20;
/** Chunks a thread may decode ahead of the reader (memory bound). */
const AHEAD = 4;

/**
 * The process's in-process zstd decoder (its threads start when first used), or undefined when
 * it cannot load here: then the `zstd` tool decodes (core's `decompressFile`).
 */
export async function zstdDecoderFor(): Promise<ZstdDecoderPool | undefined> {
  pool ??= ZstdDecoderPool.create().catch(() => undefined);
  return pool;
}

let pool: Promise<ZstdDecoderPool | undefined> | undefined;

interface Job {
  chunks: Buffer[];
  done: boolean;
  error: { message: string } | undefined;
  wake: (() => void) | undefined;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  control: Int32Array;
  /** Chunks' memory handed back to the thread, which decodes into it again (`reuse`). */
  spares: MessagePort;
}

/** How a job's bytes come: chunk size (at most OUT_BYTES) and chunks decoded ahead of the reader. */
export interface DecodePace {
  chunkBytes?: number;
  ahead?: number;
  /**
   * The caller is done with each chunk once it asks for the next: its memory goes back to the
   * thread to decode into again, instead of a fresh 1 MiB allocation per chunk (page faults on
   * one side, garbage collections driven by external memory on the other).
   */
  reuse?: boolean;
}

/** Threads decoding zstd packages: two, or one on a single core. */
export const ZSTD_DECODER_THREADS = Math.min(2, Math.max(1, availableParallelism()));

export class ZstdDecoderPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: { job: Job; take: (slot: Slot) => void }[] = [];

  private constructor(
    private readonly decoder: { module: WasmModule | undefined; binding: string | undefined },
    private readonly threads: number,
  ) {}

  /** Which libzstd decodes: the native one (the optional dependency zstd-napi) or the WebAssembly one. */
  get kind(): 'native' | 'wasm' {
    return this.decoder.binding === undefined ? 'wasm' : 'native';
  }

  /** A pool of its own; `native: false` takes the WebAssembly libzstd even where the native one loads. */
  static async create(options: { native?: boolean } = {}): Promise<ZstdDecoderPool> {
    const binding = options.native === false ? undefined : nativeBinding();
    const module = binding === undefined ? await compiledModule() : undefined;
    return new ZstdDecoderPool({ module, binding }, ZSTD_DECODER_THREADS);
  }

  /**
   * The decoded bytes of the zstd file `file`, chunk by chunk (at most 1 MiB each, fresh
   * buffers), as core's `decompressFile(file, 'zstd')` gives them. Damaged or cut-off data is a
   * `DecompressError` naming `origin`. Stopping early (`break`, `return`) stops the thread.
   */
  decodeFile(file: string, origin: string, pace: DecodePace = {}): AsyncGenerator<Buffer> {
    return this.decode({ file }, origin, pace);
  }

  /**
   * `bytes` decoded, as `decodeFile` decodes a file's (a sync database read into memory). The
   * thread gets a copy of them.
   */
  decodeBytes(bytes: Uint8Array, origin: string, pace: DecodePace = {}): AsyncGenerator<Buffer> {
    return this.decode({ bytes }, origin, pace);
  }

  /**
   * `bytes` decoded in this thread by the native libzstd, chunk by chunk (at most 1 MiB each), for
   * a small input such as a sync database: starting a thread (~30 ms here) costs more than
   * decoding a few MiB, and the resolution waits for it. Undefined where the native libzstd does
   * not load (then `decodeBytes`). Damaged or cut-off data is a `DecompressError` naming `origin`;
   * stopping the iteration early decodes no further (a bomb is never decoded whole).
   */
  decodeBytesHere(bytes: Uint8Array, origin: string): Iterable<Buffer> | undefined {
    if (this.decoder.binding === undefined) return undefined;
    const { DCtx } = createRequire(import.meta.url)(this.decoder.binding) as { DCtx: NativeDCtxClass };
    return decodeHere(new DCtx(), bytes, origin);
  }

  /** Starts every thread now (idle until asked): a caller that knows it will decode soon hides their start. */
  warmUp(): void {
    while (this.slots.length < this.threads) this.start();
  }

  private async *decode(
    input: { file: string } | { bytes: Uint8Array },
    origin: string,
    pace: DecodePace,
  ): AsyncGenerator<Buffer> {
    const job: Job = { chunks: [], done: false, error: undefined, wake: undefined };
    const slot = await this.acquire(job);
    Atomics.store(slot.control, 0, 0);
    Atomics.store(slot.control, 1, 0);
    slot.worker.postMessage({
      ...input,
      chunkBytes: Math.min(pace.chunkBytes ?? OUT_BYTES, OUT_BYTES),
      ahead: pace.ahead ?? AHEAD,
    });
    let finished = false;
    try {
      for (;;) {
        const chunk = job.chunks.shift();
        if (chunk) {
          Atomics.add(slot.control, 0, 1);
          Atomics.notify(slot.control, 0);
          yield chunk;
          if (pace.reuse && chunk.byteOffset === 0 && chunk.buffer.byteLength === OUT_BYTES)
            slot.spares.postMessage(chunk.buffer, [chunk.buffer as ArrayBuffer]);
          continue;
        }
        if (job.error) {
          finished = true;
          throw new DecompressError('zstd', job.error.message, { origin });
        }
        if (job.done) {
          finished = true;
          return;
        }
        await new Promise<void>((wake) => {
          job.wake = wake;
        });
      }
    } finally {
      if (!finished && slot.job === job) {
        // Stopped early: the thread stops at its next chunk and says so; its slot is free then.
        stopThread(slot.control);
      }
    }
  }

  /** A thread for `job`, taken at once (a free one, a new one) or when one is released. */
  private async acquire(job: Job): Promise<Slot> {
    const slot =
      this.slots.find((s) => s.job === undefined) ?? (this.slots.length < this.threads ? this.start() : undefined);
    if (slot) {
      slot.job = job;
      slot.worker.ref();
      return slot;
    }
    return new Promise((take) => this.waiting.push({ job, take }));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    slot.job = next?.job;
    if (next) next.take(slot);
    else slot.worker.unref();
  }

  private start(): Slot {
    const control = new Int32Array(new SharedArrayBuffer(8));
    const { port1: spares, port2: sparesForThread } = new MessageChannel();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ...this.decoder, control, spares: sparesForThread, inBytes: IN_BYTES, outBytes: OUT_BYTES },
      transferList: [sparesForThread],
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    spares.unref();
    const slot: Slot = { worker, job: undefined, control, spares };
    worker.on('message', (message: WireReply) => {
      const job = slot.job;
      if (!job) return;
      if (message.chunk) job.chunks.push(Buffer.from(message.chunk, 0, message.length ?? message.chunk.byteLength));
      if (message.error) job.error = message.error;
      if (message.end) {
        job.done = true;
        this.release(slot);
      }
      job.wake?.();
      job.wake = undefined;
    });
    // A thread that dies takes its job with it: the reader gets an error, later jobs a new thread.
    worker.on('error', (error: Error) => {
      this.slots.splice(this.slots.indexOf(slot), 1);
      const job = slot.job;
      if (job) {
        job.error = { message: `the decoder thread failed: ${error.message}` };
        job.wake?.();
      }
      slot.job = undefined;
      // Whoever waits for a thread gets a new one.
      const next = this.waiting.shift();
      if (next) {
        const fresh = this.start();
        fresh.job = next.job;
        fresh.worker.ref();
        next.take(fresh);
      }
    });
    // Referenced while it has a job (its messages are what the reader waits for), not when idle:
    // an idle decoder keeps no process alive.
    worker.unref();
    this.slots.push(slot);
    return slot;
  }
}

/** zstd-napi's streaming decompression context, as its binding declares it. */
type NativeDCtxClass = new () => {
  decompressStream(output: Uint8Array, input: Uint8Array): [ret: number, produced: number, consumed: number];
};

function* decodeHere(dctx: InstanceType<NativeDCtxClass>, bytes: Uint8Array, origin: string): Generator<Buffer> {
  // As the threads word it: nothing at all is not a cut-off frame.
  if (bytes.length === 0) throw new DecompressError('zstd', 'empty input', { origin });
  let input = bytes;
  for (;;) {
    const output = Buffer.allocUnsafe(OUT_BYTES);
    let step: [number, number, number];
    try {
      step = dctx.decompressStream(output, input);
    } catch (error) {
      throw new DecompressError('zstd', error instanceof Error ? error.message : String(error), { origin });
    }
    const [ret, produced, consumed] = step;
    input = input.subarray(consumed);
    if (produced > 0) yield output.subarray(0, produced);
    // ret 0: a frame ended and all of it is out; more input is another frame.
    if (ret === 0 && input.length === 0) return;
    // Input gone, output room left, the frame not ended: the data stops in the middle.
    if (input.length === 0 && produced < output.length)
      throw new DecompressError('zstd', 'unexpected end of data: the last frame is incomplete', { origin });
  }
}

/**
 * Tells a thread to stop its job. The flag is word 1, but a thread waiting for the reader sleeps
 * on word 0 (consumed chunks), so word 0 changes too: a thread that checked the flag just before
 * it was set and is about to sleep on the old count then finds the count changed and does not
 * sleep. A notify alone is lost in that gap, and the thread (referenced while it has a job)
 * slept for ever and kept the process from exiting.
 */
export function stopThread(control: Int32Array): void {
  Atomics.store(control, 1, 1);
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
}

/** A compiled WebAssembly module (Node's types do not declare the WebAssembly API). */
type WasmModule = object;
const wasm = (globalThis as unknown as { WebAssembly: { Module: { exports(m: WasmModule): { name: string }[] } } })
  .WebAssembly;

interface WireReply {
  chunk?: ArrayBuffer;
  /** Bytes of `chunk` that are data (all of it when absent). */
  length?: number;
  error?: { message: string };
  /** The job is over (after its last chunk, an error, or a stop); the thread takes the next. */
  end?: boolean;
}

/**
 * The path of zstd-napi's native binding when it is installed and loads here (it is an optional
 * dependency: built from source at install, absent where that failed), else undefined. The
 * native libzstd decodes in about 0.6 of the WebAssembly one's time (measured on the pacman
 * bench's 63 packages, 292 MB: 270 ms against 464 ms on one thread).
 */
function nativeBinding(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve('zstd-napi/binding.js');
    const binding = require(path) as { DCtx?: unknown };
    return typeof binding.DCtx === 'function' ? path : undefined;
  } catch {
    return undefined;
  }
}

/** zstddec's WebAssembly module, compiled once here and shared with the threads. */
async function compiledModule(): Promise<WasmModule> {
  const { ZSTDDecoder } = await import('zstddec/stream');
  let module: WasmModule | undefined;
  // zstddec instantiates its embedded module in init() and hands the result to _init: keep the
  // compiled module (the threads instantiate it with their own memory).
  class Capturing extends ZSTDDecoder {
    override _init(result: Parameters<InstanceType<typeof ZSTDDecoder>['_init']>[0]): void {
      module = (result as { module: WasmModule }).module;
      super._init(result);
    }
  }
  await new Capturing().init();
  if (!module) throw new Error('zstddec did not expose its WebAssembly module');
  const names = new Set(wasm.Module.exports(module).map((e) => e.name));
  for (const name of NEEDED_EXPORTS)
    if (!names.has(name)) throw new Error(`zstddec's WebAssembly module has no ${name}`);
  return module;
}

const NEEDED_EXPORTS = ['memory', 'malloc', 'free', 'ZSTD_createDCtx', 'ZSTD_freeDCtx', 'ZSTD_decompressStream'];

/**
 * The threads' code (plain JavaScript, evaluated): for each file, libzstd's streaming loop
 * (ZSTD_decompressStream until the input is used up and the last frame is flushed, as `zstd -d`
 * reads concatenated frames). libzstd's error codes are the last 120 values of size_t (32 bits
 * here); their names follow zstd_errors.h.
 */
export const WORKER_SOURCE = /* js */ `
const fs = require('node:fs');
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const { module, binding, control, spares, inBytes } = workerData;
// Output memory: a chunk's buffer the reader gave back (1 MiB), else a fresh one.
function outputBuffer() {
  const spare = receiveMessageOnPort(spares);
  return spare ? new Uint8Array(spare.message, 0, outBytes) : new Uint8Array(new ArrayBuffer(outBytes));
}
// The job's chunk size (at most workerData.outBytes, the WebAssembly output buffer) and how many
// chunks it may decode ahead: each job's message sets them.
let outBytes, ahead;
const native = binding ? require(binding) : undefined;
let memory;
const z = native ? undefined : new WebAssembly.Instance(module, { env: { emscripten_notify_memory_growth: () => undefined } }).exports;
if (z) memory = z.memory;
const ERRORS = { 1: 'generic error', 10: 'unknown frame descriptor', 12: 'unsupported version', 14: 'unsupported frame parameter', 16: 'frame requires too much memory for decoding', 20: 'data corruption detected', 22: 'restored data does not match checksum', 24: 'header of literals block is wrong', 30: 'dictionary is corrupted', 32: 'dictionary mismatch', 64: 'allocation error', 70: 'destination buffer is too small', 72: 'source size is wrong', 80: 'operation made no progress over multiple calls (destination full)', 82: 'operation made no progress over multiple calls (input empty)' };
const isError = (ret) => ret >>> 0 > 0xffffff88;
const errorName = (ret) => ERRORS[-(ret | 0)] || 'error code ' + -(ret | 0);
const inPtr = z ? z.malloc(inBytes) : 0;
const outPtr = z ? z.malloc(workerData.outBytes) : 0;
const inDesc = z ? z.malloc(12) : 0;
const outDesc = z ? z.malloc(12) : 0;
let posted = 0;
// Hands a decoded chunk over (transferred), waiting while the reader is 'ahead' chunks behind;
// false when told to stop.
function postBuffer(chunk, length) {
  for (let consumed = Atomics.load(control, 0); posted - consumed >= ahead && Atomics.load(control, 1) === 0; consumed = Atomics.load(control, 0))
    Atomics.wait(control, 0, consumed);
  if (Atomics.load(control, 1) !== 0) return false;
  posted++;
  parentPort.postMessage({ chunk, length }, [chunk]);
  return true;
}
// One libzstd's side of the streaming loop below: read() fills its input, step() is one
// ZSTD_decompressStream call ({ ret, progressed } or { error }), flush() hands over the output
// decoded so far (false: told to stop).
function wasmDecoder() {
  const dctx = z.ZSTD_createDCtx();
  if (!dctx) return undefined;
  let inSize = 0, inPos = 0, outPos = 0;
  return {
    read(input, offset) {
      inSize = input.readAt(new Uint8Array(memory.buffer, inPtr, inBytes), offset);
      inPos = 0;
      return inSize;
    },
    inputLeft: () => inPos < inSize,
    step() {
      const view = new DataView(memory.buffer);
      view.setUint32(inDesc, inPtr, true); view.setUint32(inDesc + 4, inSize, true); view.setUint32(inDesc + 8, inPos, true);
      view.setUint32(outDesc, outPtr, true); view.setUint32(outDesc + 4, outBytes, true); view.setUint32(outDesc + 8, outPos, true);
      const ret = z.ZSTD_decompressStream(dctx, outDesc, inDesc);
      if (isError(ret)) return { error: errorName(ret) };
      const after = new DataView(memory.buffer);
      const newIn = after.getUint32(inDesc + 8, true);
      const newOut = after.getUint32(outDesc + 8, true);
      const progressed = newIn !== inPos || newOut !== outPos;
      inPos = newIn; outPos = newOut;
      return { ret, progressed };
    },
    full: () => outPos === outBytes,
    flush() {
      if (outPos === 0) return true;
      const length = outPos;
      outPos = 0;
      const out = outputBuffer();
      out.set(new Uint8Array(memory.buffer, outPtr, length));
      return postBuffer(out.buffer, length);
    },
    free: () => z.ZSTD_freeDCtx(dctx),
  };
}
// The native libzstd (zstd-napi) decodes straight into the buffers handed over; it throws on
// damaged data.
function nativeDecoder() {
  const dctx = new native.DCtx();
  const input = Buffer.allocUnsafe(inBytes);
  let src = input.subarray(0, 0), out = outputBuffer(), outPos = 0;
  return {
    read(from, offset) {
      src = input.subarray(0, from.readAt(input, offset));
      return src.length;
    },
    inputLeft: () => src.length > 0,
    step() {
      let result;
      try {
        result = dctx.decompressStream(out.subarray(outPos), src);
      } catch (e) {
        return { error: String((e && e.message) || e) };
      }
      const [ret, produced, consumed] = result;
      src = src.subarray(consumed); outPos += produced;
      return { ret, progressed: produced > 0 || consumed > 0 };
    },
    full: () => outPos === outBytes,
    flush() {
      if (outPos === 0) return true;
      const chunk = out.buffer, length = outPos;
      out = outputBuffer(); outPos = 0;
      return postBuffer(chunk, length);
    },
    free: () => {},
  };
}
// The compressed bytes: a file's, read as decoding goes, or bytes sent with the job.
function fileInput(file) {
  const fd = fs.openSync(file, 'r');
  return { readAt: (target, offset) => fs.readSync(fd, target, 0, target.length, offset), close: () => fs.closeSync(fd) };
}
function bytesInput(bytes) {
  return {
    readAt(target, offset) {
      const part = bytes.subarray(offset, offset + target.length);
      target.set(part);
      return part.length;
    },
    close() {},
  };
}
function decode(input) {
  posted = 0;
  const decoder = native ? nativeDecoder() : wasmDecoder();
  try {
    if (!decoder) return { message: 'cannot allocate a decoder' };
    // ret: 0 once a frame is decoded and flushed; more input or more flushing to do otherwise.
    let offset = 0, eof = false, ret = -1;
    for (;;) {
      if (Atomics.load(control, 1) !== 0) return undefined;
      if (!decoder.inputLeft() && !eof) {
        const n = decoder.read(input, offset);
        offset += n;
        if (n === 0) eof = true;
      }
      if (eof && ret === 0) break;
      const step = decoder.step();
      if (step.error) return decoder.flush() ? { message: step.error } : undefined;
      ret = step.ret;
      if (decoder.full() && !decoder.flush()) return undefined;
      if (eof && ret !== 0 && !step.progressed) {
        if (!decoder.flush()) return undefined;
        return { message: offset === 0 ? 'empty input' : 'unexpected end of file: the last frame is incomplete' };
      }
    }
    decoder.flush();
    return undefined;
  } finally {
    if (decoder) decoder.free();
    input.close();
  }
}
parentPort.on('message', ({ file, bytes, chunkBytes, ahead: jobAhead }) => {
  outBytes = chunkBytes;
  ahead = jobAhead;
  let error;
  try {
    error = decode(bytes ? bytesInput(bytes) : fileInput(file));
  } catch (e) {
    error = { message: (e && e.code ? e.code + ': ' : '') + (e && e.message ? e.message : String(e)) };
  }
  parentPort.postMessage(error ? { error, end: true } : { end: true });
});
`;
