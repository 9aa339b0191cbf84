/** The listing of a package's public API (every export of src/index.ts, with its kind and shape), one line each. */
export declare function publicApi(packageDir: string): string;
