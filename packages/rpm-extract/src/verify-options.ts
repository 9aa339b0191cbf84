import { z } from 'zod';
import { verifyDefaults } from './option-defaults.js';

export const verifyOptionsSchema = z
  .object({
    /** Also decompress the payload and check every file's digest (default true); false checks what `rpm -K` checks. */
    files: z.boolean().default(verifyDefaults.files),
  })
  .strict();

export type VerifyOptions = z.input<typeof verifyOptionsSchema>;

/** The options with their defaults filled in, as `verifyPackage` takes them. */
export type ParsedVerifyOptions = z.output<typeof verifyOptionsSchema>;
