import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { manifestSchema, parseOptions, readManifest, writeAtomically, type Manifest } from '@distroforge/core';
import type { CpioEntry } from './cpio-entry.js';
import { compressStream } from './compress.js';
import { directoryEntries } from './entries-from-directory.js';
import { entriesFromSpec } from './entries-from-spec.js';
import { invalidOptions } from './errors.js';
import { encodeCpioViews } from './write-cpio.js';
import { PipelinedWriter, WRITES_IN_FLIGHT } from './pipelined-writer.js';

const isIterable = (value: unknown): value is AsyncIterable<CpioEntry> | Iterable<CpioEntry> =>
  typeof value === 'object' && value !== null && (Symbol.asyncIterator in value || Symbol.iterator in value);

/** Where a segment's entries come from. */
export const cpioInputSchema = z.union([
  z
    .object({
      /** A directory tree; its root becomes `.`. */
      directory: z.string().min(1),
      /** A manifest (object or file path) overriding owner/group/mode and adding nodes. */
      manifest: z.union([z.string().min(1), manifestSchema]).optional(),
      owner: z.enum(['disk', 'root']).optional(),
    })
    .strict(),
  z
    .object({
      /** A gen_init_cpio spec file. */
      spec: z.string().min(1),
      baseDir: z.string().optional(),
    })
    .strict(),
  z
    .object({
      /** Entries given directly, written in the order given. */
      entries: z.custom<AsyncIterable<CpioEntry> | Iterable<CpioEntry>>(isIterable, {
        message: 'must be an (async) iterable of CpioEntry',
      }),
    })
    .strict(),
  z
    .object({
      /** An existing archive file, copied byte for byte (e.g. an early-microcode cpio). */
      archive: z.string().min(1),
    })
    .strict(),
]);
export type CpioInput = z.input<typeof cpioInputSchema>;

export const compressionSchema = z.enum(['none', 'gzip', 'zstd', 'xz']);

export const segmentSchema = z
  .object({
    input: cpioInputSchema,
    compress: compressionSchema.default('none'),
    /** Compression level (default gzip 9, zstd 19, xz 6). */
    level: z.number().int().min(0).max(22).optional(),
  })
  .strict();
export type CpioSegment = z.input<typeof segmentSchema>;

const streamOptionsSchema = z
  .object({
    /** Clamp for mtimes; default SOURCE_DATE_EPOCH from the environment; null: no clamping. */
    sourceDateEpoch: z.number().int().min(0).nullable().optional(),
    /** First inode number (default 0). */
    firstInode: z.number().int().min(0).optional(),
  })
  .strict();

export const writeInitramfsOptionsSchema = streamOptionsSchema.extend({
  output: z.string().min(1),
  /** Archives written one after the other, e.g. an uncompressed microcode cpio, then the compressed main one. */
  segments: z.array(segmentSchema).min(1),
});
export type WriteInitramfsOptions = z.input<typeof writeInitramfsOptionsSchema>;

export const packCpioOptionsSchema = streamOptionsSchema.extend({
  input: cpioInputSchema,
  output: z.string().min(1),
  compress: compressionSchema.default('none'),
  level: z.number().int().min(0).max(22).optional(),
});
export type PackCpioOptions = z.input<typeof packCpioOptionsSchema>;

export interface PackResult {
  output: string;
  /** Total size of the file written. */
  bytes: number;
  /** Size of each segment as written (after compression). */
  segmentBytes: number[];
}

type StreamOptions = z.output<typeof streamOptionsSchema>;

/**
 * The bytes of one segment: a (compressed) newc archive, or a copied archive. Chunks may be views
 * into reused buffers: one stays valid until `WRITES_IN_FLIGHT` more chunks have been pulled.
 * @internal
 */
export async function* cpioSegmentStream(segment: CpioSegment, options: StreamOptions = {}): AsyncGenerator<Buffer> {
  const { input, compress, level } = parseOptions(segmentSchema, segment, invalidOptions('cpioSegmentStream'));
  if ('archive' in input) {
    yield* compressStream(createReadStream(input.archive, { highWaterMark: 1 << 20 }), compress, level);
    return;
  }
  const entries = await resolveEntries(input, options);
  const writeOptions = {
    buffers: WRITES_IN_FLIGHT + 1,
    trustedNames: 'directory' in input,
    ...(options.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: options.sourceDateEpoch }),
    ...(options.firstInode === undefined ? {} : { firstInode: options.firstInode }),
  };
  yield* compressStream(encodeCpioViews(entries, writeOptions), compress, level);
}

async function resolveEntries(
  input: z.output<typeof cpioInputSchema>,
  options: StreamOptions,
): Promise<AsyncIterable<CpioEntry> | Iterable<CpioEntry>> {
  if ('directory' in input) {
    const manifest: Manifest | undefined =
      typeof input.manifest === 'string' ? await readManifest(input.manifest) : input.manifest;
    return directoryEntries(input.directory, { manifest, owner: input.owner, firstInode: options.firstInode });
  }
  if ('spec' in input) return entriesFromSpec(input.spec, { baseDir: input.baseDir });
  if ('entries' in input) return input.entries;
  throw new TypeError('unreachable: archive inputs are copied');
}

/**
 * Writes an initramfs made of one or more segments (each a newc archive, compressed or not) to
 * `output`, atomically: a failure leaves no file behind.
 */
export async function writeInitramfs(options: WriteInitramfsOptions): Promise<PackResult> {
  const parsed = parseOptions(writeInitramfsOptionsSchema, options, invalidOptions('writeInitramfs'));
  const { output, segments, ...streamOptions } = parsed;
  const segmentBytes: number[] = [];
  await writeAtomically(output, async (temp) => {
    const handle = await open(temp, 'w', 0o644);
    const writer = new PipelinedWriter(handle);
    try {
      for (const segment of segments) {
        const start = writer.position;
        for await (const chunk of cpioSegmentStream(segment, streamOptions)) await writer.write(chunk);
        segmentBytes.push(writer.position - start);
      }
      await writer.flush();
    } finally {
      await writer.settle();
      await handle.close();
    }
  });
  return { output, bytes: segmentBytes.reduce((a, b) => a + b, 0), segmentBytes };
}

/** Packs one input into one (optionally compressed) newc archive file. */
export async function packCpio(options: PackCpioOptions): Promise<PackResult> {
  const { input, output, compress, level, ...rest } = parseOptions(
    packCpioOptionsSchema,
    options,
    invalidOptions('packCpio'),
  );
  return writeInitramfs({
    ...rest,
    output,
    segments: [{ input, compress, ...(level === undefined ? {} : { level }) }],
  });
}
