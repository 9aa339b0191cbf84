/** Builds a generated directory beside `out`, stamped with `key`, and renames it into place only when `fill` succeeded. */
export declare function buildDirectory(out: string, key: string, fill: (work: string) => Promise<void>): Promise<void>;
