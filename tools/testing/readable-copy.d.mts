/** Copies `dir` into `parent` (which others can enter) as `parent/<name>`, readable by all; returns the copy's path. */
export declare function readableCopy(dir: string, parent: string, name?: string): string;
