// The repository's own lint tools, checked to catch what they are for: tools/lint/import-cycles.mjs
// (run by every package's check target) finds a cycle it is shown, and none in the packages.
import { execa } from 'execa';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..');
const checker = join(repo, 'tools', 'lint', 'import-cycles.mjs');

describe('tools/lint/import-cycles.mjs', () => {
  it('reports a cycle through a type import and a re-export, and passes a tree without one', async () => {
    const pkg = await mkdtemp(join(tmpdir(), 'df-cycles-'));
    await mkdir(join(pkg, 'src', 'sub'), { recursive: true });
    await writeFile(join(pkg, 'src', 'a.ts'), "import type { B } from './sub/b.js';\nexport type A = B;\n");
    await writeFile(join(pkg, 'src', 'sub', 'b.ts'), "export { c } from '../c.js';\nexport type B = number;\n");
    await writeFile(join(pkg, 'src', 'c.ts'), "import { type A } from './a.js';\nexport const c: A = 1;\n");
    await writeFile(join(pkg, 'src', 'd.ts'), "import { c } from './c.js';\nexport const d = c;\n");
    const found = await execa('node', [checker, pkg], { reject: false });
    expect(found.exitCode).toBe(1);
    expect(found.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/import cycle in .*: a\.ts <-> c\.ts <-> sub\/b\.ts$/),
    ]);
    await writeFile(join(pkg, 'src', 'c.ts'), 'export const c = 1;\n');
    expect((await execa('node', [checker, pkg], { reject: false })).exitCode).toBe(0);
  });
});
