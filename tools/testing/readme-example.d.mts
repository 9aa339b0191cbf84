/** A README's example: the README, the example's source, its stdout when run, the output the README shows. */
export declare function runReadmeExample(
  packageDir: string,
  example: string,
  args?: readonly string[],
): Promise<{ readme: string; source: string; stdout: string; shown: string }>;
