/** A family of error codes: the codes and the hint an error of each gets by default. */
export interface ErrorFamily {
  codes: readonly string[];
  hint(code: string): string | undefined;
  /** The package's module: a `class` column must name one of its exports. */
  exports?: Record<string, unknown>;
}
/** The rows of the first table under the README's `## Error...` heading. */
export declare function readmeErrorTable(readme: string): { code: string; cells: Record<string, string> }[];
/** What is wrong with the package README's error table against its own codes and those it lets through; empty when nothing. */
export declare function readmeErrorTableProblems(
  packageDir: string,
  own: ErrorFamily,
  through?: readonly ErrorFamily[],
): Promise<string[]>;
