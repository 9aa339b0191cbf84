/** Runs a package's built bin (its package.json's one `bin`) with `args`; never throws on a non-zero exit. */
export declare function runBuiltBin(
  packageDir: string,
  args: readonly string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }>;
/** The flag spellings (`--out`, `-o`) a text names, sorted, each once; text in backquotes (another program's command line) aside. */
export declare function usageFlags(text: string): string[];
/** The synopsis of one invocation in a usage text: its line and the deeper-indented lines after it. */
export declare function synopsisOf(usage: string, invocation: string): string;
/** The code block under a README's "## Command line" (or "## Bin") heading, or undefined. */
export declare function readmeCommandLine(readme: string): string | undefined;
