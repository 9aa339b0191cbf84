/**
 * The defaults of `extractRpm`'s and `verifyRpm`'s options, in one place for their zod schemas and
 * for the bin, which calls `extractPackage`/`verifyPackage` directly and never loads zod.
 */
export const extractDefaults = { verify: true, merge: false, keepPartial: false, preserveMtime: true } as const;

export const verifyDefaults = { files: true } as const;
