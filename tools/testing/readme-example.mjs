// What a package README's runnable example claims, and what running it gives: the README's text,
// the example file's source (the README must contain it), its stdout when run with `args`, and
// the output the README shows under "Output:". The test keeps its own assertions.
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function runReadmeExample(packageDir, example, args = []) {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const source = await readFile(join(packageDir, 'examples', example), 'utf8');
  const { stdout } = await execa('node', [join(packageDir, 'examples', example), ...args], { cwd: packageDir });
  const shown = (/Output:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '').trim();
  return { readme, source, stdout, shown };
}
