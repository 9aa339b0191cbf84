/** Bundles `entry` and its imports into one world-readable `.mjs` in a fresh temp directory. */
export declare function bundleScript(entry: string): Promise<{ file: string; remove: () => Promise<void> }>;
