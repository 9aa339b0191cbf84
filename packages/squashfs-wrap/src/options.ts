import { manifestSchema, type Manifest } from '@distroforge/core';
import { z } from 'zod';

export const squashfsAlgorithms = ['gzip', 'xz', 'zstd', 'lz4', 'lzo'] as const;
export type SquashfsAlgorithm = (typeof squashfsAlgorithms)[number];

/** Level ranges mksquashfs accepts; xz and lz4 take no level there (an explicit one is an error, not ignored). */
const levelRange: Record<SquashfsAlgorithm, readonly [number, number] | undefined> = {
  gzip: [1, 9],
  zstd: [1, 22],
  lzo: [1, 9],
  xz: undefined,
  lz4: undefined,
};

export const compressionSchema = z
  .object({ algorithm: z.enum(squashfsAlgorithms), level: z.number().int().optional() })
  .strict()
  .superRefine((c, ctx) => {
    if (c.level === undefined) return;
    const range = levelRange[c.algorithm];
    if (!range)
      ctx.addIssue({
        code: 'custom',
        path: ['level'],
        message: `${c.algorithm} takes no compression level in mksquashfs`,
      });
    else if (c.level < range[0] || c.level > range[1]) {
      ctx.addIssue({
        code: 'custom',
        path: ['level'],
        message: `${c.algorithm} level must be ${range[0]}..${range[1]}`,
      });
    }
  });

export type Compression = z.infer<typeof compressionSchema>;

export const presetNames = ['dev', 'release'] as const;
export type PresetName = (typeof presetNames)[number];

/** Presets: `dev` favours build time (zstd 1), `release` favours size (zstd 15); both use 1 MiB blocks. */
export const presets: Readonly<Record<PresetName, { compression: Compression; blockSize: number }>> = {
  dev: { compression: { algorithm: 'zstd', level: 1 }, blockSize: 1 << 20 },
  release: { compression: { algorithm: 'zstd', level: 15 }, blockSize: 1 << 20 },
};

export interface ProgressEvent {
  /** 0..100 as reported by the tool. */
  percent: number;
}

const isPowerOfTwo = (n: number) => (n & (n - 1)) === 0;

const common = {
  /** The root directory to pack. */
  source: z.string().min(1),
  /** The image to write (written to a temp name, renamed when complete). */
  output: z.string().min(1),
  /** Owners, modes, devices, fifos and caps applied over what is on disk. */
  manifest: manifestSchema.optional(),
  /** Build timestamp; default `SOURCE_DATE_EPOCH` from the environment. */
  sourceDateEpoch: z.number().int().min(0).max(0xffffffff).optional(),
  /** Where the full tool log goes; default `<output>.log`. */
  logFile: z.string().min(1).optional(),
  /** Kill the tool after this many ms (default one hour). */
  timeoutMs: z.number().int().positive().optional(),
  onProgress: z.custom<(event: ProgressEvent) => void>((v) => typeof v === 'function').optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal).optional(),
};

export const createSquashfsOptionsSchema = z
  .object({
    ...common,
    compression: compressionSchema.optional(),
    /** Data block size in bytes: a power of two, 4 KiB..1 MiB. */
    blockSize: z
      .number()
      .int()
      .min(4096)
      .max(1 << 20)
      .refine(isPowerOfTwo, { message: 'must be a power of two' })
      .optional(),
    processors: z.number().int().min(1).max(1024).optional(),
    /** Paths relative to the source to leave out; `*`, `?` and `[...]` match within one path component. */
    excludes: z
      .array(
        z
          .string()
          .min(1)
          .refine((p) => !p.includes('\n'), { message: 'no newlines' }),
      )
      .optional(),
    preset: z.enum(presetNames).optional(),
    /**
     * Manifest caps need squashfs-tools 4.6. `error` (default): ERR_SQUASHFS_FEATURE on older
     * versions; `drop`: build without them and list the paths in the result's `droppedCaps`.
     */
    unsupportedCaps: z.enum(['error', 'drop']).optional(),
    /**
     * Owners of what the manifest does not name: `disk` (default) stores them as the files have
     * them; `root` stores 0:0, for a tree built without root, where every file is the builder's
     * and the manifest alone holds the image's owners (`-all-root` would override the manifest).
     */
    owner: z.enum(['disk', 'root']).optional(),
  })
  .strict();

export type CreateSquashfsOptions = z.input<typeof createSquashfsOptionsSchema> & { manifest?: Manifest };

export const erofsAlgorithms = ['lz4', 'lz4hc'] as const;

export const createErofsOptionsSchema = z
  .object({
    ...common,
    /** erofs-utils 1.5 offers lz4 and lz4hc (level 0..12); omit for an uncompressed image. */
    compression: z
      .object({ algorithm: z.enum(erofsAlgorithms), level: z.number().int().min(0).max(12).optional() })
      .strict()
      .refine((c) => c.level === undefined || c.algorithm === 'lz4hc', {
        message: 'only lz4hc takes a level',
        path: ['level'],
      })
      .optional(),
    /** Filesystem UUID; default derived from the options and manifest (never random). */
    uuid: z.uuid().optional(),
    excludes: z.array(z.string().min(1)).optional(),
  })
  .strict();

export type CreateErofsOptions = z.input<typeof createErofsOptionsSchema> & { manifest?: Manifest };
