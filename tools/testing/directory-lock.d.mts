/** Runs `body` holding `${out}.lock` (one process at a time for a generated directory). */
export declare function withDirectoryLock<T>(out: string, body: () => Promise<T>): Promise<T>;
