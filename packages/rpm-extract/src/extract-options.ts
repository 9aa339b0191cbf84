import { z } from 'zod';
import { extractDefaults } from './option-defaults.js';

export const extractOptionsSchema = z
  .object({
    /**
     * Check the header and payload digests, and every file's contents against the header's digest
     * of it (any algorithm), while extracting (default true); nothing is kept on a mismatch.
     */
    verify: z.boolean().default(extractDefaults.verify),
    /** Add to an existing directory (a root filesystem being assembled) instead of creating it. */
    merge: z.boolean().default(extractDefaults.merge),
    /** Keep the half-written staging directory when extraction fails (for debugging; files not reached yet may be empty). */
    keepPartial: z.boolean().default(extractDefaults.keepPartial),
    /** Give files and directories the package's mtimes (default true). */
    preserveMtime: z.boolean().default(extractDefaults.preserveMtime),
    /**
     * Worker threads that create the small files of packages with 200 or more. 0: none, all on
     * the calling thread. Unset (default): start on the calling thread and move to 2 threads only
     * if creating a file proves slow (journal-less ext4 reusing freed inodes, network file systems).
     */
    writerThreads: z.number().int().min(0).max(64).optional(),
  })
  .strict();

export type ExtractOptions = z.input<typeof extractOptionsSchema>;

/** The options with their defaults filled in, as `extractPackage` takes them. */
export type ParsedExtractOptions = z.output<typeof extractOptionsSchema>;
